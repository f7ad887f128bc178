"""Payments as a platform module: per-municipality settings (which methods residents may choose), the staff
screens (payments list, counter receipt, refunds) and the resident receipt page."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from madoguchi.core.registry import ModuleManifest, NavEntry, SettingSpec
from madoguchi.core.tenancy import module_required as module_required_for

KEY = "payments"

module_required = module_required_for(KEY)

MANIFEST = ModuleManifest(
    key=KEY,
    name=_("お支払い"),
    description=_("手数料をオンライン（クレジットカード）または窓口で支払えます。領収書はマイページから確認できます。"),
    public_urls="madoguchi.payments.urls",
    staff_urls="madoguchi.payments.staff_urls",
    staff_nav=(NavEntry(_("お支払い"), "payments_staff:list", "payments.manage"),),
    settings=(
        SettingSpec("card", _("オンラインのクレジットカード払いを受け付ける（決済代行の契約が必要）"), bool, False),
        SettingSpec("counter", _("窓口払いを受け付ける"), bool, True),
    ),
    enabled_by_default=True,
    maintenance_tasks=("madoguchi.payments.tasks.expire_pending_payments",),
)
