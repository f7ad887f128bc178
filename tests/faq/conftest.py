import pytest

from madoguchi.core.tenancy import municipality_scope
from madoguchi.faq import index
from madoguchi.faq.services import faq_create

from ..factories import enable_module, make_department


@pytest.fixture(autouse=True)
def _fresh_index_cache():
    index.clear_cache()
    yield
    index.clear_cache()


@pytest.fixture
def faq_on_a(city_a):
    enable_module(city_a, "faq")
    return city_a


@pytest.fixture
def shimin_dept_a(city_a):
    return make_department(city_a, slug="shimin", name="市民課", name_en="Citizens Division", phone="0881234567")


def add_faq(municipality, question, answer, **data):
    with municipality_scope(municipality):
        return faq_create(
            municipality=municipality, actor=None, data={"question": question, "answer": answer, **data}, request=None
        )


@pytest.fixture
def faqs_a(faq_on_a, shimin_dept_a):
    """A small FAQ of city A: certificates, moving, garbage."""
    return {
        "juminhyo": add_faq(
            faq_on_a,
            "住民票の写しを取りたい",
            "市民課の窓口かオンラインで請求できます。\n\n[オンラインで申請する](/city-a/procedures/juminhyo/)",
            phrasings="住民票がほしい\n住民票の取り方",
            department=shimin_dept_a,
            category="証明書",
        ),
        "tennyu": add_faq(
            faq_on_a, "引っ越してきたときの手続（転入届）", "14日以内に転入届を出してください。", category="引っ越し"
        ),
        "sodai": add_faq(faq_on_a, "粗大ごみの出し方", "粗大ごみは申し込んでから出してください。", category="ごみ"),
        "hoikuen": add_faq(faq_on_a, "保育園に入りたい", "子育て支援課で申し込みを受け付けます。", category="子育て"),
    }
