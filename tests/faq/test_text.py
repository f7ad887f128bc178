import pytest

from madoguchi.faq.text import answer_links, clean_question, mask_personal_data, plain_answer, render_answer


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("連絡先は taro.yamada+faq@example.co.jp です", "連絡先は [メール] です"),
        ("電話は090-1234-5678です", "電話は[電話番号]です"),
        ("電話は 088 (123) 4567", "電話は [電話番号]"),
        ("携帯09012345678に", "携帯[電話番号]に"),
        ("+81-90-1234-5678 まで", "[電話番号] まで"),
        ("番号は123456789012です", "番号は[番号]です"),
        ("番号は1234 5678 9012です", "番号は[番号]です"),
        ("番号は１２３４－５６７８－９０１２", "番号は[番号]"),
        ("メールはｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "メールは[メール]"),
        ("住民票を2通ほしい", "住民票を2通ほしい"),
        ("令和8年4月1日に転入", "令和8年4月1日に転入"),
    ],
)
def test_personal_data_is_masked_before_storage(raw, expected):
    assert mask_personal_data(raw) == expected


def test_clean_question_drops_control_characters_and_caps_length():
    assert clean_question("住民票\x00を\x1b取りたい\ud800") == "住民票 を 取りたい"
    assert len(clean_question("あ" * 5000)) == 500


def test_answer_markup_links_and_escapes_everything_else():
    html = render_answer("申請は[こちら](/nankoku/procedures/juminhyo/)です。<script>alert(1)</script>\n\n二段落目")
    assert '<a href="/nankoku/procedures/juminhyo/">こちら</a>' in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("<p>") == 2


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "http://evil.example/", "//evil.example/", "/\\\\evil.example/", "data:text/html,x"]
)
def test_answer_markup_refuses_unsafe_links(url):
    html = render_answer(f"[押して]({url})")
    assert "<a " not in html


def test_plain_answer_and_links_for_the_api():
    text = "[住民票](/a/procedures/juminhyo/)と[国](https://www.digital.go.jp/)"
    assert plain_answer(text) == "住民票と国"
    assert answer_links(text) == [
        {"label": "住民票", "url": "/a/procedures/juminhyo/"},
        {"label": "国", "url": "https://www.digital.go.jp/"},
    ]
