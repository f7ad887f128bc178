"""DCAT-AP 3 output parses (Turtle and JSON-LD) and has the mandatory properties (research §6); Hydra paging;
schema.org Dataset JSON-LD in the dataset page."""

from __future__ import annotations

import json
import re

import pytest
from rdflib import Graph, Namespace
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

from madoguchi.core.tenancy import municipality_scope
from madoguchi.opendata import services
from madoguchi.opendata.models import Dataset, Resource

from .conftest import make_dataset

pytestmark = pytest.mark.django_db
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")


def parse(response, fmt):
    assert response.status_code == 200
    graph = Graph()
    graph.parse(data=response.content.decode(), format="turtle" if fmt == "ttl" else "json-ld")
    return graph


def assert_dcat_ap3_mandatory(graph):
    catalogs = list(graph.subjects(RDF.type, DCAT.Catalog))
    for catalog in catalogs:
        for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.publisher):
            assert graph.value(catalog, prop) is not None, prop
    datasets = list(graph.subjects(RDF.type, DCAT.Dataset))
    assert datasets
    for dataset in datasets:
        assert graph.value(dataset, DCTERMS.title) is not None
        assert graph.value(dataset, DCTERMS.description) is not None
        for distribution in graph.objects(dataset, DCAT.distribution):
            assert graph.value(distribution, DCAT.accessURL) is not None
    for agent in graph.subjects(RDF.type, FOAF.Agent):
        assert graph.value(agent, FOAF.name) is not None
    return catalogs, datasets


@pytest.mark.parametrize("fmt", ["ttl", "jsonld"])
def test_catalogue_per_municipality(client, catalogue_a, catalogue_b, fmt):
    graph = parse(client.get(f"/city-a/catalog.{fmt}"), fmt)
    catalogs, datasets = assert_dcat_ap3_mandatory(graph)
    assert len(catalogs) == 1 and len(datasets) == 2  # no draft, nothing of city B
    titles = {str(graph.value(d, DCTERMS.title)) for d in datasets}
    assert titles == {"指定緊急避難場所一覧", "公衆トイレ一覧"}
    paging = next(graph.subjects(RDF.type, HYDRA.PagedCollection))
    assert int(graph.value(paging, HYDRA.totalItems)) == 2
    assert graph.value(paging, HYDRA.nextPage) is None


@pytest.mark.parametrize("fmt", ["ttl", "jsonld"])
def test_platform_catalogue_and_dataset_documents(client, catalogue_a, catalogue_b, fmt):
    graph = parse(client.get(f"/catalog.{fmt}"), fmt)
    _, datasets = assert_dcat_ap3_mandatory(graph)
    assert len(datasets) == 3
    graph = parse(client.get(f"/dataset/city-a-public-toilet.{fmt}"), fmt)
    _, datasets = assert_dcat_ap3_mandatory(graph)
    distribution = next(graph.objects(datasets[0], DCAT.distribution))
    assert str(graph.value(distribution, DCAT.downloadURL)).endswith("_public_toilet.csv")
    graph = parse(client.get(f"/city-a/dataset/public-toilet.{fmt}"), fmt)
    assert_dcat_ap3_mandatory(graph)


def test_unknown_other_and_bad_pages(client, catalogue_a, catalogue_b):
    assert client.get("/city-a/dataset/secret-b.ttl").status_code == 404
    assert client.get("/city-a/dataset/draft-data.jsonld").status_code == 404
    assert client.get("/city-a/catalog.ttl?page=2").status_code == 404
    assert client.get("/city-a/catalog.ttl?page=abc").status_code == 400
    assert client.get("/no-such-city/catalog.ttl").status_code == 404


def test_hydra_paging_100_per_page(client, city_a, bosai_a):
    make_dataset(city_a, name="seed", title="元", rows=[{"名称": "x"}])
    with municipality_scope(city_a):
        seed = Dataset.objects.get(name="seed")
        template = Resource.objects.get(dataset=seed)
        clones = []
        for n in range(101):
            clone = Dataset(
                municipality=city_a, name=f"d{n:03d}", title=f"データ{n}", notes="説明", published_at=seed.published_at
            )
            services.refresh_search_fields(clone)
            clones.append(clone)
        Dataset.objects.bulk_create(clones)
        assert template.pk
    graph = parse(client.get("/city-a/catalog.ttl"), "ttl")
    paging = next(graph.subjects(RDF.type, HYDRA.PagedCollection))
    assert int(graph.value(paging, HYDRA.totalItems)) == 102
    assert int(graph.value(paging, HYDRA.itemsPerPage)) == 100
    assert str(graph.value(paging, HYDRA.nextPage)).endswith("/city-a/catalog.ttl?page=2")
    assert len(list(graph.subjects(RDF.type, DCAT.Dataset))) == 100
    second = parse(client.get("/city-a/catalog.ttl?page=2"), "ttl")
    assert len(list(second.subjects(RDF.type, DCAT.Dataset))) == 2
    assert str(second.value(next(second.subjects(RDF.type, HYDRA.PagedCollection)), HYDRA.previousPage)).endswith(
        "page=1"
    )


def test_schema_org_json_ld_in_dataset_page(client, catalogue_a):
    response = client.get("/city-a/opendata/public-toilet/")
    html = response.content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    data = json.loads(block)
    assert data["@type"] == "Dataset" and data["name"] == "公衆トイレ一覧"
    assert 50 <= len(data["description"]) <= 5000
    assert data["distribution"][0]["contentUrl"].endswith("_public_toilet.csv")
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_schema_org_cannot_break_out_of_the_script(client, city_a, bosai_a):
    make_dataset(city_a, name="evil", title="</script><script>alert(1)</script>", notes="x" * 60, rows=[{"名称": "a"}])
    html = client.get("/city-a/opendata/evil/").content.decode()
    assert "</script><script>alert(1)" not in html
