import pytest

pytestmark = pytest.mark.django_db


def test_platform_home_lists_municipalities(client, city_a, city_b):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "甲市" in body and "乙市" in body


def test_municipality_home_in_japanese_then_english(client, city_a):
    response = client.get("/city-a/")
    assert response.status_code == 200
    assert '<html lang="ja">' in response.content.decode()
    assert "甲市" in response.content.decode()
    english = client.get("/city-a/?lang=en")
    assert '<html lang="en">' in english.content.decode()
    assert "City A" in english.content.decode()
    # The choice is remembered for the next page.
    assert '<html lang="en">' in client.get("/city-a/notices/").content.decode()
