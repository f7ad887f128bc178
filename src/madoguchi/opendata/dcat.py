"""DCAT-AP 3 (Turtle and JSON-LD, with Hydra paging of 100 datasets) and schema.org Dataset JSON-LD.

Mandatory properties of DCAT-AP 3.0 (research §6): Catalog dct:title, dct:description, dct:publisher;
Dataset dct:title, dct:description; Distribution dcat:accessURL; Agent foaf:name."""

from __future__ import annotations

import json
import math
from typing import Any

from django.urls import reverse
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

from . import selectors
from .catalogue import Catalogue
from .ckan import package_dict
from .models import FREQUENCY_URIS, LICENSE_URLS, Dataset, Frequency, License, Resource

PAGE_SIZE = 100
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SCHEMA = Namespace("http://schema.org/")
FORMAT_URIS = {
    "CSV": "http://publications.europa.eu/resource/authority/file-type/CSV",
    "XLSX": "http://publications.europa.eu/resource/authority/file-type/XLSX",
    "JSON": "http://publications.europa.eu/resource/authority/file-type/JSON",
    "GeoJSON": "http://publications.europa.eu/resource/authority/file-type/GEOJSON",
    "PDF": "http://publications.europa.eu/resource/authority/file-type/PDF",
}


def _graph() -> Graph:
    graph = Graph()
    for prefix, namespace in (
        ("dcat", DCAT),
        ("dct", DCTERMS),
        ("foaf", FOAF),
        ("hydra", HYDRA),
        ("spdx", SPDX),
        ("vcard", VCARD),
    ):
        graph.bind(prefix, namespace)
    return graph


def _dataset_uri(catalogue: Catalogue, dataset: Dataset) -> URIRef:
    return URIRef(f"{catalogue.base_url}/dataset/{catalogue.package_name(dataset.name, dataset.municipality)}")


def _publisher(graph: Graph, catalogue: Catalogue, dataset: Dataset | None) -> URIRef:
    municipality = dataset.municipality if dataset is not None else catalogue.municipality
    if municipality is None:
        agent = URIRef(f"{catalogue.base_url}/#publisher")
        graph.add((agent, RDF.type, FOAF.Agent))
        graph.add((agent, FOAF.name, Literal("Madoguchi", lang="en")))
        return agent
    agent = URIRef(f"{catalogue.base_url.rsplit('/' + municipality.slug, 1)[0]}/{municipality.slug}/#publisher")
    graph.add((agent, RDF.type, FOAF.Agent))
    graph.add((agent, FOAF.name, Literal(municipality.name, lang="ja")))
    if municipality.name_en:
        graph.add((agent, FOAF.name, Literal(municipality.name_en, lang="en")))
    graph.add((agent, DCTERMS.identifier, Literal(municipality.code)))
    return agent


def add_dataset(graph: Graph, catalogue: Catalogue, dataset: Dataset, resources: list[Resource]) -> URIRef:
    ckan = package_dict(catalogue, dataset, resources)
    node = _dataset_uri(catalogue, dataset)
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCTERMS.title, Literal(dataset.title, lang="ja")))
    if dataset.title_en:
        graph.add((node, DCTERMS.title, Literal(dataset.title_en, lang="en")))
    graph.add((node, DCTERMS.description, Literal(dataset.notes, lang="ja")))
    if dataset.notes_en:
        graph.add((node, DCTERMS.description, Literal(dataset.notes_en, lang="en")))
    graph.add((node, DCTERMS.identifier, Literal(str(dataset.public_id))))
    graph.add((node, DCAT.landingPage, URIRef(ckan["url"])))
    graph.add((node, DCTERMS.issued, Literal(dataset.published_at or dataset.created_at, datatype=XSD.dateTime)))
    graph.add((node, DCTERMS.modified, Literal(dataset.modified_at, datatype=XSD.dateTime)))
    graph.add((node, DCTERMS.publisher, _publisher(graph, catalogue, dataset)))
    graph.add((node, DCTERMS.accrualPeriodicity, URIRef(FREQUENCY_URIS[Frequency(dataset.frequency)])))
    for tag in dataset.tags:
        graph.add((node, DCAT.keyword, Literal(tag, lang="ja")))
    if dataset.standard_number:
        from .standards import get_standard

        standard = get_standard(dataset.standard_number)
        if standard is not None:
            graph.add((node, DCTERMS.conformsTo, URIRef(standard.source_url + f"#{standard.number}")))
    contact = BNode()
    graph.add((node, DCAT.contactPoint, contact))
    graph.add((contact, RDF.type, VCARD.Organization))
    graph.add((contact, VCARD.fn, Literal(ckan["maintainer"])))
    if ckan["maintainer_email"]:
        graph.add((contact, VCARD.hasEmail, URIRef(f"mailto:{ckan['maintainer_email']}")))
    license_uri = URIRef(LICENSE_URLS[License(dataset.license_id)])
    for resource, item in zip(resources, ckan["resources"], strict=True):
        distribution = URIRef(f"{node}/resource/{resource.public_id}")
        graph.add((node, DCAT.distribution, distribution))
        graph.add((distribution, RDF.type, DCAT.Distribution))
        graph.add((distribution, DCTERMS.title, Literal(resource.name)))
        graph.add((distribution, DCAT.accessURL, URIRef(item["url"])))
        graph.add((distribution, DCTERMS.license, license_uri))
        if resource.format != "URL":
            graph.add((distribution, DCAT.downloadURL, URIRef(item["url"])))
        if item["mimetype"]:
            graph.add(
                (
                    distribution,
                    DCAT.mediaType,
                    URIRef(f"http://www.iana.org/assignments/media-types/{item['mimetype']}"),
                )
            )
        if resource.format in FORMAT_URIS:
            graph.add((distribution, DCTERMS["format"], URIRef(FORMAT_URIS[resource.format])))
        if resource.size:
            graph.add((distribution, DCAT.byteSize, Literal(resource.size, datatype=XSD.nonNegativeInteger)))
        if resource.last_modified:
            graph.add((distribution, DCTERMS.modified, Literal(resource.last_modified, datatype=XSD.dateTime)))
        if resource.hash:
            checksum = BNode()
            graph.add((distribution, SPDX.checksum, checksum))
            graph.add((checksum, RDF.type, SPDX.Checksum))
            graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
            graph.add((checksum, SPDX.checksumValue, Literal(resource.hash, datatype=XSD.hexBinary)))
    return node


def catalogue_graph(catalogue: Catalogue, page: int, path: str) -> Graph | None:
    """One page of the catalogue; None when the page does not exist."""
    queryset = selectors.published_datasets(catalogue).order_by("-modified_at", "pk")
    total = queryset.count()
    last = max(1, math.ceil(total / PAGE_SIZE))
    if page < 1 or page > last:
        return None
    datasets = list(queryset[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
    grouped = selectors.resources_of(datasets)
    graph = _graph()
    node = URIRef(f"{catalogue.base_url}/catalog")
    graph.add((node, RDF.type, DCAT.Catalog))
    municipality = catalogue.municipality
    title = f"{municipality.name} オープンデータカタログ" if municipality else "Madoguchi オープンデータカタログ"
    graph.add((node, DCTERMS.title, Literal(title, lang="ja")))
    if municipality is None or municipality.name_en:
        title_en = f"{municipality.name_en} Open Data Catalogue" if municipality else "Madoguchi Open Data Catalogue"
        graph.add((node, DCTERMS.title, Literal(title_en, lang="en")))
    description = (
        f"{municipality.name}が公開するオープンデータ（自治体標準オープンデータセットを含む）。"
        if municipality
        else "Madoguchi を使う自治体が公開するオープンデータ。"
    )
    graph.add((node, DCTERMS.description, Literal(description, lang="ja")))
    graph.add((node, DCTERMS.publisher, _publisher(graph, catalogue, None)))
    graph.add((node, FOAF.homepage, URIRef(catalogue.base_url + "/")))
    graph.add((node, DCTERMS.language, URIRef("http://publications.europa.eu/resource/authority/language/JPN")))
    for dataset in datasets:
        graph.add((node, DCAT.dataset, add_dataset(graph, catalogue, dataset, grouped[dataset.pk])))
    paging = URIRef(f"{path}?page={page}")
    graph.add((paging, RDF.type, HYDRA.PagedCollection))
    graph.add((paging, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
    graph.add((paging, HYDRA.itemsPerPage, Literal(PAGE_SIZE, datatype=XSD.integer)))
    graph.add((paging, HYDRA.firstPage, Literal(f"{path}?page=1")))
    graph.add((paging, HYDRA.lastPage, Literal(f"{path}?page={last}")))
    if page < last:
        graph.add((paging, HYDRA.nextPage, Literal(f"{path}?page={page + 1}")))
    if page > 1:
        graph.add((paging, HYDRA.previousPage, Literal(f"{path}?page={page - 1}")))
    return graph


def dataset_graph(catalogue: Catalogue, dataset: Dataset) -> Graph:
    graph = _graph()
    add_dataset(graph, catalogue, dataset, selectors.resources_of([dataset])[dataset.pk])
    return graph


def serialize(graph: Graph, fmt: str) -> str:
    if fmt == "ttl":
        return graph.serialize(format="turtle")
    context = {
        "dcat": str(DCAT),
        "dct": str(DCTERMS),
        "foaf": str(FOAF),
        "hydra": str(HYDRA),
        "spdx": str(SPDX),
        "vcard": str(VCARD),
        "xsd": str(XSD),
    }
    return graph.serialize(format="json-ld", context=context, auto_compact=True)


def schema_org(catalogue: Catalogue, dataset: Dataset, resources: list[Resource]) -> str:
    """schema.org Dataset JSON-LD for the dataset page (Google Dataset Search), safe inside <script>."""
    ckan = package_dict(catalogue, dataset, resources)
    municipality = dataset.municipality
    description = dataset.notes
    if len(description) < 50:  # Google Dataset Search wants 50–5000 characters
        formats = "・".join(sorted({r.format for r in resources})) or "-"
        description = (
            f"{dataset.notes} {municipality.prefecture}{municipality.name}が{License(dataset.license_id).label}で"
            f"公開するオープンデータ「{dataset.title}」です。形式：{formats}。誰でも自由に利用できます。"
        )
    data: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "name": dataset.title,
        "description": description[:5000],
        "url": ckan["url"],
        "identifier": str(dataset.public_id),
        "keywords": dataset.tags,
        "license": LICENSE_URLS[License(dataset.license_id)],
        "isAccessibleForFree": True,
        "dateModified": dataset.modified_at.isoformat(),
        "creator": {"@type": "GovernmentOrganization", "name": municipality.name},
        "publisher": {"@type": "GovernmentOrganization", "name": municipality.name},
        "spatialCoverage": {"@type": "Place", "name": f"{municipality.prefecture}{municipality.name}"},
        "includedInDataCatalog": {
            "@type": "DataCatalog",
            "name": f"{municipality.name} オープンデータ",
            "url": catalogue.base_url
            + reverse("opendata:catalogue", kwargs={"municipality_slug": municipality.slug})[
                len("/" + municipality.slug) :
            ],
        },
        "distribution": [
            {
                "@type": "DataDownload",
                "name": item["name"],
                "contentUrl": item["url"],
                "encodingFormat": item["mimetype"] or item["format"],
            }
            for item in ckan["resources"]
        ],
    }
    text = json.dumps(data, ensure_ascii=False)
    # Never let data end the script element early.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
