from django import template
from django.utils.safestring import SafeString

from ..text import render_answer

register = template.Library()


@register.filter
def faq_answer(text: str) -> SafeString:
    """An FAQ answer's paragraphs and links as safe HTML (everything else escaped)."""
    return render_answer(text)
