"""Procedure presets (ひな形) a municipality can enable and then adjust: the national 子育て・介護 26 procedures
(ぴったりサービス) and the procedures residents use most. Catalogue data only; each municipality's copy is
theirs to edit once enabled. Sources: ../shared/research/procedures_booking.md §1.2–1.5.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PresetAttachment:
    name: str
    name_en: str
    condition: str = ""
    condition_en: str = ""


@dataclass(frozen=True)
class PresetFee:
    code: str
    name: str
    name_en: str
    amount: int  # yen; the municipality adjusts it to its 手数料条例
    unit: str = "1通"
    unit_en: str = "per copy"


@dataclass(frozen=True)
class Preset:
    key: str  # also the procedure's default URL slug
    name: str
    name_kana: str  # hiragana
    name_en: str
    summary: str
    summary_en: str
    category: str  # procedures.models.Category value
    department: str  # department slug in the demo municipalities (市民課 = "shimin", …)
    life_events: tuple[str, ...] = ()
    legal_basis: str = ""
    applicants: tuple[str, ...] = ("self",)
    identity_level: str = "account"
    channel: str = "both"
    delivery_methods: tuple[str, ...] = ()
    processing_days: int = 0
    preparation: str = ""
    preparation_en: str = ""
    attachments: tuple[PresetAttachment, ...] = ()
    fees: tuple[PresetFee, ...] = ()
    national_26: bool = False  # one of the 子育て・介護 26 procedures to be online via マイナポータル
    tags: tuple[str, ...] = field(default_factory=tuple)


# Fee lines. One code always means one amount (the municipality edits the amount in its own fee table). 戸籍 fees
# follow 地方公共団体の手数料の標準に関する政令; the others are the usual amounts set by each 手数料条例.
JUMINHYO_FEE = PresetFee("juminhyo", "住民票の写し", "Certificate of residence", 300)
KOSEKI_ZENBU_FEE = PresetFee(
    "koseki-zenbu", "戸籍全部事項証明書（戸籍謄本）", "Family register, full copy (koseki tōhon)", 450
)
KOSEKI_KOJIN_FEE = PresetFee(
    "koseki-kojin", "戸籍個人事項証明書（戸籍抄本）", "Family register, one person's entry (koseki shōhon)", 450
)
JOSEKI_FEE = PresetFee("joseki", "除籍全部事項証明書（除籍謄本）", "Closed family register (joseki tōhon)", 750)
KAISEI_GENKOSEKI_FEE = PresetFee(
    "kaisei-genkoseki", "改製原戸籍謄本", "Family register in its earlier format (kaisei genkoseki)", 750
)
KOSEKI_FUHYO_FEE = PresetFee(
    "koseki-fuhyo", "戸籍の附票の写し", "Record of addresses attached to the family register (koseki no fuhyō)", 300
)
INKAN_SHOMEI_FEE = PresetFee("inkan-shomei", "印鑑登録証明書", "Certificate of registered seal (inkan shōmei)", 300)
SHOTOKU_KAZEI_FEE = PresetFee("shotoku-kazei-shomei", "所得課税証明書", "Income and resident tax certificate", 300)
NOZEI_FEE = PresetFee(
    "nozei-shomei",
    "納税証明書",
    "Tax payment certificate",
    300,
    unit="1税目・1年度",
    unit_en="per tax and fiscal year",
)
SODAIGOMI_TICKET_FEE = PresetFee(
    "sodaigomi-ticket", "粗大ごみ処理券", "Oversized waste ticket", 500, unit="1枚", unit_en="per ticket"
)
DOG_REGISTRATION_FEE = PresetFee(
    "inu-toroku", "犬の登録手数料", "Dog registration fee", 3000, unit="1頭", unit_en="per dog"
)
RABIES_TAG_FEE = PresetFee(
    "kyokenbyo-chushazumihyo",
    "狂犬病予防注射済票交付手数料",
    "Rabies vaccination tag fee",
    550,
    unit="1頭",
    unit_en="per dog",
)

# Attachments shared by several presets.
PROXY_LETTER = PresetAttachment(
    "委任状", "Letter of proxy", "代理人が窓口で手続をする場合", "If someone else applies for you at the counter"
)
BANK_ACCOUNT = PresetAttachment(
    "振込先口座の通帳またはキャッシュカードの写し",
    "Copy of the bankbook or cash card of the account for payment",
    "公金受取口座を使わない場合（申請者本人名義の口座に限ります）",
    "If you do not use your registered public-funds account (the account must be in your own name)",
)
SEPARATE_CUSTODY = PresetAttachment(
    "別居監護申立書",
    "Statement of care for a child living apart",
    "養育しているお子さんと別々に住んでいる場合",
    "If a child you raise lives at a different address",
)
STUDENT_AGE_CONFIRMATION = PresetAttachment(
    "監護相当・生計費の負担についての確認書",
    "Confirmation that you support a child aged 19 to 22",
    "高校卒業後から22歳になった後の3月31日までのお子さんを多子加算の対象として数える場合",
    "If you count a child aged 19 to 22 (until 31 March after their 22nd birthday) for the extra amount for larger families",
)
CARE_INSURANCE_CARD = PresetAttachment(
    "介護保険被保険者証",
    "Long-term care insurance card",
    "お持ちの方（原本を郵送または窓口で提出してください）",
    "If you have one (send or bring the original card)",
)
MEDICAL_INSURANCE_PROOF = PresetAttachment(
    "医療保険の資格が確認できる書類（資格確認書・資格情報のお知らせなど）",
    "Proof of your health insurance (eligibility certificate or insurance information notice)",
    "40歳から64歳の方（第2号被保険者）",
    "If you are aged 40 to 64",
)
EMPLOYMENT_CERTIFICATE = PresetAttachment(
    "就労証明書",
    "Certificate of employment",
    "保育が必要な理由が就労の場合（保護者それぞれについて。自営業の方は開業届の写しなども）",
    "If you need childcare because you work (one for each parent; self-employed parents also attach, for example, a copy of their business registration)",
)
CHILDCARE_NEED_OTHER = PresetAttachment(
    "保育が必要な理由を証明する書類（診断書、母子健康手帳の写し、在学証明書など）",
    "Proof of your reason for needing childcare (doctor's certificate, copy of the Maternal and Child Health Handbook, certificate of enrolment, etc.)",
    "就労以外の理由（病気・障害、妊娠・出産、家族の介護、就学、求職活動など）で保育が必要な場合",
    "If you need childcare for another reason (illness or disability, pregnancy and childbirth, caring for a family member, study, job hunting, etc.)",
)

_CHILD_ALLOWANCE_LAW = "児童手当法"
_CARE_PREPARATION = (
    "介護を受ける方のマイナンバーカード（オンライン申請の本人確認と電子署名に使います）と介護保険被保険者証。"
    "家族やケアマネジャー、地域包括支援センターが代わりに申請することもできます。"
)
_CARE_PREPARATION_EN = (
    "The My Number Card of the person who needs care (for identity and e-signature online) and their long-term care "
    "insurance card. A family member, a care manager or the community general support centre can apply for them."
)

PRESETS: tuple[Preset, ...] = (
    # ----------------------------------------------------------------------------------------------------------------
    # 証明書
    # ----------------------------------------------------------------------------------------------------------------
    Preset(
        key="juminhyo",
        name="住民票の写し等交付申請",
        name_kana="じゅうみんひょうのうつしとうこうふしんせい",
        name_en="Request for a certificate of residence (jūminhyō)",
        summary="住民票の写し、住民票記載事項証明書の交付を申請します。証明書は郵送でお届けするか、窓口でお受け取りいただけます。",
        summary_en="Apply for a copy of your certificate of residence. We post it to you or you collect it at the counter.",
        category="certificates",
        department="shimin",
        life_events=("moving",),
        legal_basis="住民基本台帳法第12条",
        applicants=("self", "household", "agent"),
        identity_level="my_number_card",
        delivery_methods=("post", "counter"),
        processing_days=3,
        preparation="マイナンバーカード（オンライン申請の本人確認に使います）。代理人が申請する場合は委任状。",
        preparation_en="Your My Number Card (to prove your identity online). A letter of proxy if someone applies for you.",
        attachments=(PresetAttachment("委任状", "Letter of proxy", "代理人が申請する場合", "If a proxy applies"),),
        fees=(JUMINHYO_FEE,),
    ),
    Preset(
        key="koseki",
        name="戸籍証明書等交付申請",
        name_kana="こせきしょうめいしょとうこうふしんせい",
        name_en="Request for family register certificates (koseki)",
        summary="本籍がこの市町村にある戸籍の全部事項証明書（謄本）・個人事項証明書（抄本）、除籍・改製原戸籍、戸籍の附票の写しを請求します。証明書は住民登録のある住所へ郵送するか、窓口でお渡しします。",
        summary_en="Request copies of a family register (koseki) kept in this municipality, including closed and earlier-format registers and the record of addresses. We post them to your registered address or you collect them at the counter.",
        category="certificates",
        department="shimin",
        life_events=("marriage", "death"),
        legal_basis="戸籍法第10条、第10条の2、第12条の2",
        applicants=("self", "agent"),
        identity_level="my_number_card",
        delivery_methods=("post", "counter"),
        processing_days=5,
        preparation="本籍（番地まで）と筆頭者の氏名、必要な方の氏名と続柄、使い道、マイナンバーカード（オンライン申請の本人確認に使います）。戸籍に記載されている方、その配偶者、父母・祖父母・子・孫など直系の親族は委任状なしで請求できます。本籍が他の市区町村にある方も、本人・配偶者・直系の親族なら窓口で戸籍謄本・除籍謄本を請求できます（広域交付。郵送と代理人は不可）。",
        preparation_en="Your registered domicile (honseki) including the lot number, the name of the head of the register, the names of the people you need and your relationship to them, what you will use it for, and your My Number Card (to prove your identity online). People in the register, their spouses and their direct relatives (parents, grandparents, children, grandchildren) need no letter of proxy. If your register is kept in another municipality, you, your spouse or a direct relative can still get a full copy at our counter (not by post and not through a proxy).",
        attachments=(
            PROXY_LETTER,
            PresetAttachment(
                "請求者との関係がわかる戸籍謄本など",
                "A family register or other document that shows your relationship",
                "請求する戸籍に記載されていない直系の親族が請求し、関係がこの市町村の戸籍で確認できない場合",
                "If you are a direct relative who is not in the register and we cannot confirm the relationship from our own records",
            ),
        ),
        fees=(KOSEKI_ZENBU_FEE, KOSEKI_KOJIN_FEE, JOSEKI_FEE, KAISEI_GENKOSEKI_FEE, KOSEKI_FUHYO_FEE),
    ),
    # Online requests for 印鑑登録証明書 are accepted only with a My Number Card e-signature and are posted to the
    # registered address; a municipality whose 印鑑条例 requires the 印鑑登録証 to be shown should set channel to
    # "counter" when it enables this preset. There is no national law: each 印鑑条例 is the basis.
    Preset(
        key="inkan-shomei",
        name="印鑑登録証明書交付申請",
        name_kana="いんかんとうろくしょうめいしょこうふしんせい",
        name_en="Request for a certificate of registered seal (inkan shōmei)",
        summary="登録している印鑑（実印）の印鑑登録証明書を請求します。不動産の登記や自動車の登録、相続の手続などで使います。",
        summary_en="Request a certificate for your registered personal seal (jitsuin). It is used, for example, to register property or a car and for inheritance.",
        category="certificates",
        department="shimin",
        life_events=("housing", "death"),
        legal_basis="各市町村の印鑑条例",
        applicants=("self",),
        identity_level="my_number_card",
        delivery_methods=("post", "counter"),
        processing_days=3,
        preparation="オンラインで申請する場合はマイナンバーカード（電子署名に使います）。証明書は住民登録のある住所へ郵送します。窓口では印鑑登録証（カード）が必要です。印鑑登録証を持参すれば、代理人でも請求できます（実印は不要です）。",
        preparation_en="To apply online: your My Number Card (for the e-signature); we post the certificate to your registered address. At the counter: your seal registration card. Anyone who brings your seal registration card can request it for you; the seal itself is not needed.",
        fees=(INKAN_SHOMEI_FEE,),
    ),
    Preset(
        key="shotoku-kazei-shomei",
        name="所得課税証明書交付申請",
        name_kana="しょとくかぜいしょうめいしょこうふしんせい",
        name_en="Request for an income and resident tax certificate",
        summary="前年の所得と、住民税（市町村民税・都道府県民税）の課税額を証明する書類を請求します。保育所や奨学金、住宅ローンの申込みなどで使います。",
        summary_en="Request a certificate of your income for the previous year and the resident tax charged on it. It is often needed for nursery applications, scholarships and housing loans.",
        category="certificates",
        department="zeimu",
        life_events=("tax", "housing"),
        legal_basis="地方税法第20条の10",
        applicants=("self", "household", "agent"),
        identity_level="my_number_card",
        delivery_methods=("post", "counter"),
        processing_days=3,
        preparation="必要な年度と通数、使い道、マイナンバーカード（オンライン申請の本人確認に使います）。証明書は、その年度の1月1日に住民登録があった市町村で発行します。新しい年度の証明書は6月ごろから発行できます。",
        preparation_en="The fiscal year and number of copies you need, what you will use it for, and your My Number Card (to prove your identity online). The certificate is issued by the municipality where you were registered on 1 January of that year. Certificates for a new fiscal year are available from about June.",
        attachments=(PROXY_LETTER,),
        fees=(SHOTOKU_KAZEI_FEE,),
    ),
    Preset(
        key="nozei-shomei",
        name="納税証明書交付申請",
        name_kana="のうぜいしょうめいしょこうふしんせい",
        name_en="Request for a tax payment certificate",
        summary="市町村民税・固定資産税・軽自動車税などを納めたことを証明する書類を請求します。入札参加や融資の申込み、車検などで使います。",
        summary_en="Request a certificate that shows you have paid municipal taxes such as resident tax, property tax or light vehicle tax. It is used for tenders, loans and vehicle inspections.",
        category="certificates",
        department="zeimu",
        life_events=("tax",),
        legal_basis="地方税法第20条の10",
        applicants=("self", "household", "agent"),
        identity_level="my_number_card",
        delivery_methods=("post", "counter"),
        processing_days=3,
        preparation="必要な税目と年度、使い道、マイナンバーカード（オンライン申請の本人確認に使います）。軽自動車の車検用（継続検査用）の納税証明書は無料です。納めてから間もない場合は、領収証書をご用意ください（納付の確認に時間がかかることがあります）。",
        preparation_en="The taxes and fiscal years you need, what you will use it for, and your My Number Card (to prove your identity online). The certificate for a light vehicle inspection (shaken) is free. If you paid only recently, have your receipt ready, as the payment may take time to show in our records.",
        attachments=(PROXY_LETTER,),
        fees=(NOZEI_FEE,),
    ),
    # ----------------------------------------------------------------------------------------------------------------
    # 子育て: the national 26 procedures (子育て 15). Names as in the national list (research notes §1.2).
    # ----------------------------------------------------------------------------------------------------------------
    Preset(
        key="jidoteate-nintei",
        name="児童手当等の受給資格及び児童手当の額についての認定請求",
        name_kana="じどうてあてとうのじゅきゅうしかくおよびじどうてあてのがくについてのにんていせいきゅう",
        name_en="Child allowance: application to start receiving it",
        summary="お子さんが生まれたときや、お子さんを連れて転入したときに、児童手当を受け取るための請求です。出生日や前住所の転出予定日の翌日から15日以内に請求してください。",
        summary_en="Apply for the child allowance when a child is born or when you move here with a child. Apply within 15 days of the birth or of the day after your planned move-out date from your former address.",
        category="childcare",
        department="kosodate",
        life_events=("birth", "moving"),
        legal_basis="児童手当法第7条",
        applicants=("self", "agent"),
        identity_level="my_number_card",
        delivery_methods=("post",),
        processing_days=30,
        preparation="請求者（原則として父母のうち生計を主に維持している方）のマイナンバーカード、配偶者とお子さんのマイナンバー、受取口座（請求者名義）。公務員の方は勤務先に請求してください。",
        preparation_en="The My Number Card of the applicant (normally the parent who earns most of the household income), the My Numbers of your spouse and children, and a bank account in the applicant's name. Public servants apply at their workplace instead.",
        attachments=(BANK_ACCOUNT, SEPARATE_CUSTODY, STUDENT_AGE_CONFIRMATION, PROXY_LETTER),
        national_26=True,
    ),
    Preset(
        key="jidoteate-gaku-kaitei",
        name="児童手当等の額の改定の請求及び届出",
        name_kana="じどうてあてとうのがくのかいていのせいきゅうおよびとどけで",
        name_en="Child allowance: change of amount when the number of children changes",
        summary="すでに児童手当を受け取っている方で、2人目以降のお子さんが生まれたときなど養育するお子さんが増えたとき（増額の請求）、または減ったとき（減額の届出）の手続です。増額は出生日などの翌日から15日以内に請求してください。",
        summary_en="If you already receive the child allowance, tell us when the number of children you raise goes up (for example a new baby) or down. Apply for an increase within 15 days of the birth or other change.",
        category="childcare",
        department="kosodate",
        life_events=("birth",),
        legal_basis="児童手当法第9条",
        applicants=("self", "agent"),
        identity_level="my_number_card",
        delivery_methods=("post",),
        processing_days=30,
        preparation="受給者のマイナンバーカード、増えた（減った）お子さんの氏名・生年月日・マイナンバー。",
        preparation_en="The recipient's My Number Card, and the name, date of birth and My Number of each child added or removed.",
        attachments=(SEPARATE_CUSTODY, STUDENT_AGE_CONFIRMATION, PROXY_LETTER),
        national_26=True,
    ),
    Preset(
        key="jidoteate-henko",
        name="氏名変更／住所変更等の届出",
        name_kana="しめいへんこうじゅうしょへんこうとうのとどけで",
        name_en="Child allowance: notice of a change of name, address or other details",
        summary="児童手当を受け取っている方やお子さんの氏名が変わったとき、市内で引越したとき、お子さんと別居することになったときなどに届け出ます。",
        summary_en="Tell us if the name of the child allowance recipient or a child changes, if you move within the municipality, or if a child starts living apart from you.",
        category="childcare",
        department="kosodate",
        life_events=("birth", "moving", "marriage"),
        legal_basis="児童手当法第26条、児童手当法施行規則",
        applicants=("self", "agent"),
        identity_level="my_number_card",
        processing_days=14,
        preparation="受給者のマイナンバーカード、変更の内容と変更日。",
        preparation_en="The recipient's My Number Card, and what changed and when.",
        attachments=(SEPARATE_CUSTODY, PROXY_LETTER),
        national_26=True,
    ),
    Preset(
        key="jidoteate-shometsu",
        name="受給事由消滅の届出",
        name_kana="じゅきゅうじゆうしょうめつのとどけで",
        name_en="Child allowance: notice that you no longer qualify",
        summary="市外へ引越したとき、お子さんを養育しなくなったとき、公務員になったときなど、児童手当を受け取る理由がなくなったときに届け出ます。届出が遅れると、手当を返還していただくことがあります。",
        summary_en="Tell us when you no longer qualify for the child allowance, for example when you move out of the municipality, no longer raise the child, or become a public servant. If you report late, you may have to pay back allowance you received.",
        category="childcare",
        department="kosodate",
        life_events=("birth", "moving", "marriage"),
        legal_basis="児童手当法第26条、児童手当法施行規則",
        applicants=("self", "agent"),
        identity_level="my_number_card",
        delivery_methods=("post",),
        processing_days=14,
        preparation="受給者のマイナンバーカード、受給する理由がなくなった日とその理由。",
        preparation_en="The recipient's My Number Card, and the date and reason you no longer qualify.",
        attachments=(PROXY_LETTER,),
        national_26=True,
    ),
    Preset(
        key="jidoteate-mishiharai",
        name="未支払の児童手当等の請求",
        name_kana="みしはらいのじどうてあてとうのせいきゅう",
        name_en="Child allowance: claim for allowance unpaid at the recipient's death",
        summary="児童手当を受け取っていた方が亡くなったとき、まだ支払われていない手当を、対象だったお子さん（またはその法定代理人）が請求します。",
        summary_en="When a child allowance recipient dies, the child who was covered (or their legal representative) can claim the allowance that had not yet been paid.",
        category="childcare",
        department="kosodate",
        life_events=("birth", "death"),
        legal_basis="児童手当法第12条",
        applicants=("self", "agent"),
        identity_level="my_number_card",
        delivery_methods=("post",),
        processing_days=30,
        preparation="請求する方のマイナンバーカード、亡くなった受給者の氏名と亡くなった日、振込先口座（請求者名義）。",
        preparation_en="The claimant's My Number Card, the name of the recipient who died and the date of death, and a bank account in the claimant's name.",
        attachments=(
            BANK_ACCOUNT,
            PresetAttachment(
                "法定代理人であることがわかる書類（戸籍謄本など）",
                "Proof that you are the child's legal representative (family register, etc.)",
                "お子さんに代わって法定代理人が請求する場合",
                "If you claim on behalf of the child as their legal representative",
            ),
        ),
        national_26=True,
    ),
    Preset(
        key="jidoteate-kifu",
        name="児童手当等に係る寄附の申出",
        name_kana="じどうてあてとうにかかるきふのもうしで",
        name_en="Child allowance: offer to donate your allowance",
        summary="受け取る児童手当の全部または一部を、地域の子育て支援のために市町村へ寄附することを申し出ます。寄附は手当の支払前に申し出てください。",
        summary_en="Offer to donate all or part of your child allowance to the municipality, to be used for supporting children locally. Make the offer before the allowance is paid.",
        category="childcare",
        department="kosodate",
        life_events=("birth",),
        legal_basis="児童手当法第20条",
        applicants=("self",),
        identity_level="my_number_card",
        processing_days=14,
        preparation="受給者のマイナンバーカード、寄附する金額（または全額）と開始する支払月。",
        preparation_en="The recipient's My Number Card, the amount to donate (or all of it) and the payment from which the donation starts.",
        national_26=True,
    ),
    Preset(
        key="jidoteate-kifu-henko",
        name="児童手当に係る寄附変更等の申出",
        name_kana="じどうてあてにかかるきふへんこうとうのもうしで",
        name_en="Child allowance: change or cancel a donation",
        summary="児童手当の寄附を申し出ている方が、寄附する金額を変更したり、寄附をやめたりするときに申し出ます。",
        summary_en="If you donate part of your child allowance, use this to change the amount or stop the donation.",
        category="childcare",
        department="kosodate",
        life_events=("birth",),
        legal_basis="児童手当法第20条",
        applicants=("self",),
        identity_level="my_number_card",
        processing_days=14,
        preparation="受給者のマイナンバーカード、変更後の金額（またはやめること）と変更する支払月。",
        preparation_en="The recipient's My Number Card, the new amount (or that you want to stop) and the payment from which it applies.",
        national_26=True,
    ),
    Preset(
        key="jidoteate-kyushokuhi",
        name="受給資格者の申出による学校給食費等の徴収等の申出",
        name_kana="じゅきゅうしかくしゃのもうしでによるがっこうきゅうしょくひとうのちょうしゅうとうのもうしで",
        name_en="Child allowance: request to pay school lunch and other fees from the allowance",
        summary="お子さんの学校給食費や保育料などを、児童手当から差し引いて支払うことを申し出ます。",
        summary_en="Ask us to pay your child's school lunch fees, nursery fees or similar charges directly out of your child allowance.",
        category="childcare",
        department="kosodate",
        life_events=("birth",),
        legal_basis="児童手当法第21条",
        applicants=("self",),
        identity_level="my_number_card",
        processing_days=14,
        preparation="受給者のマイナンバーカード、支払に充てる費用の種類（学校給食費・保育料など）と金額、対象のお子さん。",
        preparation_en="The recipient's My Number Card, which charges to pay (school lunch, nursery fees, etc.), the amount, and which child they are for.",
        national_26=True,
    ),
    # "(verify)" in the research notes: the source list was truncated. This is the standard ぴったりサービス name
    # as we know it, the change counterpart of the preset above; check against the デジタル庁 list before relying on it.
    Preset(
        key="jidoteate-kyushokuhi-henko",
        name="受給資格者の申出による学校給食費等の徴収等の変更等の申出",
        name_kana="じゅきゅうしかくしゃのもうしでによるがっこうきゅうしょくひとうのちょうしゅうとうのへんこうとうのもうしで",
        name_en="Child allowance: change or stop paying school lunch and other fees from the allowance",
        summary="児童手当から学校給食費や保育料などを支払っている方が、金額や対象の費用を変更したり、やめたりするときに申し出ます。",
        summary_en="If school lunch, nursery or similar fees are paid from your child allowance, use this to change the amount or the charges covered, or to stop.",
        category="childcare",
        department="kosodate",
        life_events=("birth",),
        legal_basis="児童手当法第21条",
        applicants=("self",),
        identity_level="my_number_card",
        processing_days=14,
        preparation="受給者のマイナンバーカード、変更の内容（費用の種類・金額、またはやめること）と変更する支払月。",
        preparation_en="The recipient's My Number Card, what to change (charges or amount, or that you want to stop) and the payment from which it applies.",
        national_26=True,
    ),
    # The annual 現況届 was abolished for most recipients in June 2022; it remains for those the municipality asks
    # (e.g. a child whose registered address differs because of domestic violence, or a corporate guardian).
    Preset(
        key="jidoteate-genkyo",
        name="児童手当等の現況届",
        name_kana="じどうてあてとうのげんきょうとどけ",
        name_en="Child allowance: annual status report",
        summary="児童手当を引き続き受け取る要件を満たしているかを確認するための届出です。多くの方は提出不要で、市町村から提出をお願いした方だけが届け出てください。",
        summary_en="A report that confirms you still qualify for the child allowance. Most recipients no longer need to send it: only send it if the municipality has asked you to.",
        category="childcare",
        department="kosodate",
        life_events=("birth",),
        legal_basis="児童手当法第26条",
        applicants=("self", "agent"),
        identity_level="my_number_card",
        processing_days=14,
        preparation="受給者のマイナンバーカード、市町村から届いた現況届のご案内。",
        preparation_en="The recipient's My Number Card and the letter from the municipality asking for the report.",
        attachments=(SEPARATE_CUSTODY, PROXY_LETTER),
        national_26=True,
    ),
    # "(verify)" in the research notes. The national list names it 支給認定の申請; it is the 教育・保育給付認定
    # (nursery / kindergarten certification) under 子ども・子育て支援法第20条. Decision due within 30 days (第20条第6項).
    Preset(
        key="hoiku-shikyu-nintei",
        name="支給認定の申請",
        name_kana="しきゅうにんていのしんせい",
        name_en="Certification for early childhood education and childcare (nursery and kindergarten)",
        summary="保育所・認定こども園・幼稚園（新制度）などを利用するために、お子さんの教育・保育給付認定（1号・2号・3号認定）を申請します。保育所などの利用申込みと一緒に申請してください。",
        summary_en="Apply for certification of your child's need for early education or childcare (type 1, 2 or 3), which you need to use a nursery, certified centre for early childhood education and care, or kindergarten. Apply together with the nursery application.",
        category="childcare",
        department="kosodate",
        life_events=("birth", "moving"),
        legal_basis="子ども・子育て支援法第20条",
        applicants=("self", "agent"),
        identity_level="my_number_card",
        delivery_methods=("post",),
        processing_days=30,
        preparation="保護者のマイナンバーカード、お子さんと保護者のマイナンバー、保育が必要な理由を証明する書類（就労証明書など）。",
        preparation_en="A parent's My Number Card, the My Numbers of the child and parents, and proof of why you need childcare (for example a certificate of employment).",
        attachments=(EMPLOYMENT_CERTIFICATE, CHILDCARE_NEED_OTHER, PROXY_LETTER),
        national_26=True,
    ),
    Preset(
        key="hoiku-riyo",
        name="保育施設等の利用申込",
        name_kana="ほいくしせつとうのりようもうしこみ",
        name_en="Application for a place at a nursery or other childcare facility",
        summary="保育所・認定こども園・小規模保育などの利用を申し込みます。希望する施設を選んで申し込み、市町村が利用調整を行って結果をお知らせします。",
        summary_en="Apply for a place at a nursery, certified centre for early childhood education and care, or small-scale childcare. You list the facilities you want; the municipality allocates places and tells you the result.",
        category="childcare",
        department="kosodate",
        life_events=("birth", "moving"),
        legal_basis="児童福祉法第24条、子ども・子育て支援法第42条",
        applicants=("self", "agent"),
        identity_level="my_number_card",
        delivery_methods=("post",),
        processing_days=30,
        preparation="保護者のマイナンバーカード、希望する施設（第1希望から）と利用開始希望月、保育が必要な理由を証明する書類。申込締切は利用開始月ごとに決まっています（4月入所は前年の秋ごろ）。",
        preparation_en="A parent's My Number Card, the facilities you want in order of preference and the month you want to start, and proof of why you need childcare. Each start month has its own deadline (for April, usually the previous autumn).",
        attachments=(
            EMPLOYMENT_CERTIFICATE,
            CHILDCARE_NEED_OTHER,
            PresetAttachment(
                "利用調整に関する書類（ひとり親、障害者手帳の写しなど）",
                "Documents for allocation priority (single parent, copy of a disability certificate, etc.)",
                "該当する場合のみ",
                "Only if this applies to you",
            ),
            PROXY_LETTER,
        ),
        national_26=True,
    ),
    # "(verify)" in the research notes. The national list names it 保育施設等の現況届; on マイナポータル the form
    # itself is titled 「保育施設等の利用に係る現況届」 (教育・保育給付認定 現況届).
    Preset(
        key="hoiku-genkyo",
        name="保育施設等の現況届",
        name_kana="ほいくしせつとうのげんきょうとどけ",
        name_en="Nursery and childcare: annual status report",
        summary="保育所などを利用しているお子さんについて、保護者の就労などの保育が必要な状況が続いているかを年に1回届け出ます。提出がないと、次の年度に継続して利用できないことがあります。",
        summary_en="Once a year, tell us whether you still need childcare (for example because you still work) for a child who uses a nursery. If you do not send it, your child may not be able to continue the next fiscal year.",
        category="childcare",
        department="kosodate",
        life_events=("birth",),
        legal_basis="子ども・子育て支援法、子ども・子育て支援法施行規則",
        applicants=("self", "agent"),
        identity_level="my_number_card",
        processing_days=30,
        preparation="保護者のマイナンバーカード、保育が必要な理由を証明する書類（保護者それぞれについて）。提出期間は施設を通じてお知らせします。",
        preparation_en="A parent's My Number Card and proof of why you need childcare (for each parent). The facility tells you when to submit it.",
        attachments=(EMPLOYMENT_CERTIFICATE, CHILDCARE_NEED_OTHER, PROXY_LETTER),
        national_26=True,
    ),
    # "(verify)" in the research notes; the name is the one on the national list. The 現況届 itself is completed at a
    # face-to-face interview: online is an advance submission only. Article numbers left out until checked.
    Preset(
        key="jidofuyo-genkyo",
        name="児童扶養手当の現況届の事前送信",
        name_kana="じどうふようてあてのげんきょうとどけのじぜんそうしん",
        name_en="Child rearing allowance (single-parent families): sending the annual status report in advance",
        summary="児童扶養手当を受けている方が毎年8月に提出する現況届の内容を、事前にオンラインで送信します。送信後、指定された日に窓口で面談を受けると提出が完了します。",
        summary_en="Send the contents of the annual status report for the child rearing allowance (due every August) online in advance. The report is complete once you attend a short interview at the counter on the date we give you.",
        category="childcare",
        department="kosodate",
        life_events=("birth", "marriage"),
        legal_basis="児童扶養手当法、児童扶養手当法施行規則",
        applicants=("self",),
        identity_level="my_number_card",
        processing_days=30,
        preparation="受給者のマイナンバーカード、市町村から届いた現況届のご案内、養育費の受取状況がわかるもの（通帳など）。",
        preparation_en="The recipient's My Number Card, the letter from the municipality about the report, and records of any child support you receive (for example your bankbook).",
        attachments=(
            PresetAttachment(
                "養育費等に関する申告書",
                "Statement of child support received",
                "養育費を受け取っている場合",
                "If you receive child support",
            ),
            PresetAttachment(
                "賃貸借契約書の写し",
                "Copy of your rental contract",
                "住まいや同居の状況が変わった場合",
                "If your housing or who you live with has changed",
            ),
        ),
        national_26=True,
    ),
    Preset(
        key="ninshin-todoke",
        name="妊娠の届出",
        name_kana="にんしんのとどけで",
        name_en="Pregnancy notification (for the Maternal and Child Health Handbook)",
        summary="医療機関で妊娠がわかったら届け出てください。届出の後、保健師などとの面談の際に母子健康手帳と妊婦健康診査の受診票をお渡しします。",
        summary_en="Notify us once a clinic has confirmed your pregnancy. After the notification, we give you the Maternal and Child Health Handbook and vouchers for check-ups during pregnancy at an interview with a public health nurse.",
        category="childcare",
        department="kosodate",
        life_events=("pregnancy",),
        legal_basis="母子保健法第15条、第16条",
        applicants=("self", "agent"),
        identity_level="my_number_card",
        delivery_methods=("counter",),
        processing_days=3,
        preparation="妊娠している方のマイナンバーカード、診察を受けた医療機関の名前、出産予定日。面談の日時は届出の後にご連絡します。",
        preparation_en="The My Number Card of the pregnant person, the name of the clinic that confirmed the pregnancy, and the due date. We contact you after the notification to arrange the interview.",
        attachments=(PROXY_LETTER,),
        national_26=True,
    ),
    # ----------------------------------------------------------------------------------------------------------------
    # 介護: the national 26 procedures (介護 11). Decisions on 認定 are due within 30 days (介護保険法第27条第11項).
    # ----------------------------------------------------------------------------------------------------------------
    Preset(
        key="kaigo-nintei",
        name="要介護・要支援認定の申請",
        name_kana="ようかいごようしえんにんていのしんせい",
        name_en="Application for long-term care need certification",
        summary="介護保険のサービスを利用するために、どのくらいの介護や支援が必要か（要介護度）の認定を申請します。申請の後、調査員の訪問調査と主治医の意見書をもとに認定します。",
        summary_en="Apply for certification of how much care or support you need, so that you can use long-term care insurance services. After you apply, an assessor visits you and your doctor writes an opinion, and we decide your care level.",
        category="nursing_care",
        department="fukushi",
        life_events=("care",),
        legal_basis="介護保険法第27条、第32条",
        applicants=("self", "household", "agent"),
        identity_level="my_number_card",
        delivery_methods=("post",),
        processing_days=30,
        preparation=_CARE_PREPARATION + "主治医の氏名と医療機関名（主治医に申請することを伝えておいてください）。",
        preparation_en=_CARE_PREPARATION_EN
        + " The name of your doctor and their clinic (tell your doctor that you are applying).",
        attachments=(CARE_INSURANCE_CARD, MEDICAL_INSURANCE_PROOF, PROXY_LETTER),
        national_26=True,
    ),
    Preset(
        key="kaigo-koshin",
        name="要介護・要支援更新認定の申請",
        name_kana="ようかいごようしえんこうしんにんていのしんせい",
        name_en="Renewal of long-term care need certification",
        summary="要介護・要支援の認定には有効期間があります。引き続きサービスを利用するときは、有効期間が終わる日の60日前から申請できます。",
        summary_en="Your care need certification is valid for a limited period. To keep using services, apply to renew it from 60 days before it expires.",
        category="nursing_care",
        department="fukushi",
        life_events=("care",),
        legal_basis="介護保険法第28条、第33条",
        applicants=("self", "household", "agent"),
        identity_level="my_number_card",
        delivery_methods=("post",),
        processing_days=30,
        preparation=_CARE_PREPARATION + "主治医の氏名と医療機関名。",
        preparation_en=_CARE_PREPARATION_EN + " The name of your doctor and their clinic.",
        attachments=(CARE_INSURANCE_CARD, MEDICAL_INSURANCE_PROOF, PROXY_LETTER),
        national_26=True,
    ),
    # "(verify)" in the research notes ("要介護・要支援状態変更の認定の申請"). We use the ぴったりサービス name we
    # know, 要介護・要支援状態区分変更認定の申請 (介護保険法第29条 / 第33条の2).
    Preset(
        key="kaigo-kubun-henko",
        name="要介護・要支援状態区分変更認定の申請",
        name_kana="ようかいごようしえんじょうたいくぶんへんこうにんていのしんせい",
        name_en="Application to change your long-term care need level",
        summary="認定の有効期間中に心身の状態が変わり、今の要介護度が合わなくなったときに、認定の変更を申請します。",
        summary_en="If your physical or mental condition changes while your certification is valid and your care level no longer fits, apply to have it changed.",
        category="nursing_care",
        department="fukushi",
        life_events=("care",),
        legal_basis="介護保険法第29条、第33条の2",
        applicants=("self", "household", "agent"),
        identity_level="my_number_card",
        delivery_methods=("post",),
        processing_days=30,
        preparation=_CARE_PREPARATION
        + "主治医の氏名と医療機関名、状態が変わった内容。ケアマネジャーに相談してから申請してください。",
        preparation_en=_CARE_PREPARATION_EN
        + " The name of your doctor and their clinic, and how your condition has changed. Talk to your care manager before applying.",
        attachments=(CARE_INSURANCE_CARD, MEDICAL_INSURANCE_PROOF, PROXY_LETTER),
        national_26=True,
    ),
    Preset(
        key="kaigo-careplan",
        name="居宅（介護予防）サービス計画作成（変更）依頼の届出",
        name_kana="きょたくかいごよぼうさーびすけいかくさくせいへんこういらいのとどけで",
        name_en="Notice of the care manager office that makes your care plan",
        summary="自宅で介護サービスを利用するために、ケアプランの作成を依頼する居宅介護支援事業所（要支援の方は地域包括支援センター）が決まったとき、または変更するときに届け出ます。",
        summary_en="Tell us which care management office (for people needing support: the community general support centre) will make your care plan for services at home, or when you change office.",
        category="nursing_care",
        department="fukushi",
        life_events=("care",),
        legal_basis="介護保険法第46条、第58条、介護保険法施行規則",
        applicants=("self", "household", "agent"),
        identity_level="my_number_card",
        delivery_methods=("post",),
        processing_days=7,
        preparation=_CARE_PREPARATION
        + "依頼する事業所の名前と事業所番号、依頼を始める日。事業所名を記載した被保険者証をお返しします。",
        preparation_en=_CARE_PREPARATION_EN
        + " The name and office number of the care management office and the start date. We return your insurance card with the office's name written on it.",
        attachments=(CARE_INSURANCE_CARD, PROXY_LETTER),
        national_26=True,
    ),
    Preset(
        key="kaigo-futan-wariai-saikofu",
        name="介護保険負担割合証の再交付申請",
        name_kana="かいごほけんふたんわりあいしょうのさいこうふしんせい",
        name_en="Reissue of the long-term care co-payment certificate",
        summary="介護サービスの自己負担の割合（1割・2割・3割）を示す負担割合証をなくしたり、汚したりしたときに再交付を申請します。",
        summary_en="Apply for a new co-payment certificate (showing whether you pay 10 %, 20 % or 30 % of care costs) if you lost or damaged yours.",
        category="nursing_care",
        department="fukushi",
        life_events=("care",),
        legal_basis="介護保険法第49条の2、第59条の2、介護保険法施行規則",
        applicants=("self", "household", "agent"),
        identity_level="my_number_card",
        delivery_methods=("post", "counter"),
        processing_days=7,
        preparation="介護を受ける方のマイナンバーカード、再交付が必要な理由（紛失・破損など）。",
        preparation_en="The My Number Card of the person who receives care and the reason for the reissue (lost, damaged, etc.).",
        attachments=(
            PresetAttachment(
                "破損・汚損した負担割合証",
                "The damaged certificate",
                "破損・汚損による再交付の場合",
                "If you apply because the certificate is damaged",
            ),
            PROXY_LETTER,
        ),
        national_26=True,
    ),
    Preset(
        key="kaigo-hihokensha-saikofu",
        name="被保険者証の再交付申請",
        name_kana="ひほけんしゃしょうのさいこうふしんせい",
        name_en="Reissue of the long-term care insurance card",
        summary="介護保険の被保険者証をなくしたり、汚したりしたときに再交付を申請します。",
        summary_en="Apply for a new long-term care insurance card if you lost or damaged yours.",
        category="nursing_care",
        department="fukushi",
        life_events=("care",),
        legal_basis="介護保険法第12条、介護保険法施行規則",
        applicants=("self", "household", "agent"),
        identity_level="my_number_card",
        delivery_methods=("post", "counter"),
        processing_days=7,
        preparation="被保険者のマイナンバーカード、再交付が必要な理由（紛失・破損など）。",
        preparation_en="The insured person's My Number Card and the reason for the reissue (lost, damaged, etc.).",
        attachments=(
            PresetAttachment(
                "破損・汚損した被保険者証",
                "The damaged insurance card",
                "破損・汚損による再交付の場合",
                "If you apply because the card is damaged",
            ),
            PROXY_LETTER,
        ),
        national_26=True,
    ),
    Preset(
        key="kaigo-kogaku",
        name="高額介護（予防）サービス費の支給申請",
        name_kana="こうがくかいごよぼうさーびすひのしきゅうしんせい",
        name_en="Application for the high-cost long-term care benefit",
        summary="1か月に支払った介護サービスの自己負担額が上限額を超えたとき、超えた分の払戻しを申請します。対象の方には市町村からお知らせします。一度申請すると、次からは自動的に振り込まれます。",
        summary_en="If your co-payments for care services in one month go over the monthly limit, apply to get the excess back. We write to you if you qualify; after the first application, later refunds are paid automatically.",
        category="nursing_care",
        department="fukushi",
        life_events=("care",),
        legal_basis="介護保険法第51条、第61条",
        applicants=("self", "household", "agent"),
        identity_level="my_number_card",
        delivery_methods=("post",),
        processing_days=60,
        preparation="介護を受ける方のマイナンバーカード、市町村から届いたお知らせ、振込先口座。",
        preparation_en="The My Number Card of the person who receives care, the letter from the municipality, and a bank account for the refund.",
        attachments=(BANK_ACCOUNT, PROXY_LETTER),
        national_26=True,
    ),
    Preset(
        key="kaigo-gendogaku",
        name="介護保険負担限度額認定申請",
        name_kana="かいごほけんふたんげんどがくにんていしんせい",
        name_en="Application to limit food and accommodation costs in care facilities",
        summary="介護施設への入所やショートステイのときの食費・居住費の負担を軽くするための認定を申請します。所得と預貯金が一定以下の方が対象で、認定証の有効期間は8月1日から翌年7月31日までです。",
        summary_en="Apply for a certificate that lowers what you pay for meals and accommodation in a care facility or during short stays. It is for people with income and savings below set limits, and is valid from 1 August to 31 July.",
        category="nursing_care",
        department="fukushi",
        life_events=("care",),
        legal_basis="介護保険法第51条の3、第61条の3",
        applicants=("self", "household", "agent"),
        identity_level="my_number_card",
        delivery_methods=("post",),
        processing_days=30,
        preparation="介護を受ける方のマイナンバーカード、本人と配偶者の預貯金などの残高がわかる書類。",
        preparation_en="The My Number Card of the person who receives care and documents showing the savings of that person and their spouse.",
        attachments=(
            PresetAttachment(
                "預貯金等の通帳などの写し（直近2か月分）",
                "Copies of bankbooks or statements for savings (last 2 months)",
                "本人と配偶者の分",
                "For the applicant and their spouse",
            ),
            PresetAttachment(
                "同意書（金融機関などへの照会）",
                "Consent to our enquiries with banks and other institutions",
                "すべての方",
                "Everyone",
            ),
            PROXY_LETTER,
        ),
        national_26=True,
    ),
    # "(verify)" in the research notes; the name matches the pattern of the 住宅改修費 procedure and 介護保険法第44条 /
    # 第56条 (居宅介護福祉用具購入費 / 介護予防福祉用具購入費).
    Preset(
        key="kaigo-fukushi-yogu",
        name="居宅介護（介護予防）福祉用具購入費の支給申請",
        name_kana="きょたくかいごかいごよぼうふくしようぐこうにゅうひのしきゅうしんせい",
        name_en="Reimbursement for buying care equipment (bath chairs, portable toilets, etc.)",
        summary="入浴用のいすやポータブルトイレなど、介護保険の対象となる福祉用具を指定を受けた事業者から購入したときに、費用の一部の支給を申請します。支給の上限は年度（4月から翌年3月）ごとに10万円（うち自己負担1〜3割）です。",
        summary_en="If you buy approved care equipment (for example a bath chair or a portable toilet) from a designated supplier, apply to get part of the cost back. Up to 100,000 yen of purchases per fiscal year (April to March) is covered, minus your 10–30 % co-payment.",
        category="nursing_care",
        department="fukushi",
        life_events=("care",),
        legal_basis="介護保険法第44条、第56条",
        applicants=("self", "household", "agent"),
        identity_level="my_number_card",
        delivery_methods=("post",),
        processing_days=30,
        preparation="介護を受ける方のマイナンバーカード、領収書、購入した用具のカタログなど、振込先口座。",
        preparation_en="The My Number Card of the person who receives care, the receipt, a catalogue page or similar for the equipment, and a bank account for the payment.",
        attachments=(
            PresetAttachment(
                "領収書",
                "Receipt",
                "すべての方（原本を郵送または窓口で提出してください）",
                "Everyone (send or bring the original)",
            ),
            PresetAttachment(
                "購入した福祉用具のカタログなどの写し",
                "Copy of a catalogue page or leaflet for the equipment",
                "すべての方",
                "Everyone",
            ),
            PresetAttachment(
                "福祉用具が必要な理由書",
                "Statement of why the equipment is needed",
                "ケアマネジャーなどが作成します（市町村が求める場合）",
                "Written by your care manager (if the municipality asks for it)",
            ),
            BANK_ACCOUNT,
        ),
        national_26=True,
    ),
    # "(verify)" in the research notes; 介護保険法第45条 / 第57条 (居宅介護住宅改修費 / 介護予防住宅改修費).
    Preset(
        key="kaigo-jutaku-kaishu",
        name="居宅介護（介護予防）住宅改修費の支給申請",
        name_kana="きょたくかいごかいごよぼうじゅうたくかいしゅうひのしきゅうしんせい",
        name_en="Reimbursement for home modifications for long-term care",
        summary="手すりの取付けや段差の解消など、介護のための住宅改修の費用の一部の支給を申請します。工事の前に事前申請が必要です。支給の上限は原則1人20万円（うち自己負担1〜3割）です。",
        summary_en="Apply to get part of the cost back for home modifications for care, such as handrails or removing steps. You must apply before the work starts. Up to 200,000 yen of work per person is covered, minus your 10–30 % co-payment.",
        category="nursing_care",
        department="fukushi",
        life_events=("care", "housing"),
        legal_basis="介護保険法第45条、第57条",
        applicants=("self", "household", "agent"),
        identity_level="my_number_card",
        delivery_methods=("post",),
        processing_days=30,
        preparation="介護を受ける方のマイナンバーカード。工事前：住宅改修が必要な理由書（ケアマネジャーが作成）、見積書、改修前の写真、図面。工事後：領収書、工事費内訳書、改修後の写真、振込先口座。",
        preparation_en="The My Number Card of the person who receives care. Before the work: a statement of why the modification is needed (written by your care manager), the quote, photos before the work and a plan. After the work: the receipt, the cost breakdown, photos after the work and a bank account for the payment.",
        attachments=(
            PresetAttachment(
                "住宅改修が必要な理由書",
                "Statement of why the home modification is needed",
                "工事前の申請（ケアマネジャーなどが作成します）",
                "Before the work (written by your care manager)",
            ),
            PresetAttachment(
                "見積書と改修予定箇所の写真（日付入り）・図面",
                "Quote, dated photos of the places to modify, and a plan",
                "工事前の申請",
                "Before the work",
            ),
            PresetAttachment(
                "住宅の所有者の承諾書",
                "Consent of the owner of the home",
                "住宅の所有者が介護を受ける方でない場合",
                "If the person who receives care does not own the home",
            ),
            PresetAttachment(
                "領収書・工事費内訳書と改修後の写真（日付入り）",
                "Receipt, cost breakdown and dated photos after the work",
                "工事後の申請",
                "After the work",
            ),
            BANK_ACCOUNT,
        ),
        national_26=True,
    ),
    # "(verify)" in the research notes; 介護保険法第36条 (住所移転後の要介護認定及び要支援認定).
    Preset(
        key="kaigo-tennyu-nintei",
        name="住所移転後の要介護・要支援認定申請",
        name_kana="じゅうしょいてんごのようかいごようしえんにんていしんせい",
        name_en="Long-term care need certification after moving here",
        summary="前の市区町村で要介護・要支援の認定を受けていた方が転入したときに、その認定を引き継ぐための申請です。転入した日から14日以内に申請してください。",
        summary_en="If you had a care need certification in your previous municipality, apply within 14 days of moving here to carry it over without a new assessment.",
        category="nursing_care",
        department="fukushi",
        life_events=("care", "moving"),
        legal_basis="介護保険法第36条",
        applicants=("self", "household", "agent"),
        identity_level="my_number_card",
        delivery_methods=("post",),
        processing_days=7,
        preparation="介護を受ける方のマイナンバーカード、前の市区町村で交付された介護保険受給資格証明書。",
        preparation_en="The My Number Card of the person who receives care and the certificate of eligibility for long-term care issued by your previous municipality.",
        attachments=(
            PresetAttachment(
                "介護保険受給資格証明書",
                "Certificate of eligibility for long-term care insurance benefits",
                "すべての方（転出元の市区町村が交付した原本を郵送または窓口で提出してください）",
                "Everyone (send or bring the original from your previous municipality)",
            ),
            PROXY_LETTER,
        ),
        national_26=True,
    ),
    # ----------------------------------------------------------------------------------------------------------------
    # 災害
    # ----------------------------------------------------------------------------------------------------------------
    # 罹災証明書 for homes is issued from 税務課 here: the 住家被害認定調査 is usually done by the 固定資産税 staff, who
    # know each building. Cities that centralise it in 防災危機管理課 change the department when enabling. Fire damage
    # is certified by the fire department instead. LifeEvent has no 災害 value yet, so the preset uses "housing".
    Preset(
        key="risai-shomei",
        name="罹災証明書交付申請",
        name_kana="りさいしょうめいしょこうふしんせい",
        name_en="Application for a disaster damage certificate (risai shōmeisho)",
        summary="地震・台風・大雨などの災害で住まいが被害を受けたとき、被害の程度（全壊・半壊など）を証明する罹災証明書を申請します。支援金の申請や税・保険料の減免、保険の請求などに使います。",
        summary_en="If your home was damaged by an earthquake, typhoon, heavy rain or other disaster, apply for a certificate stating the level of damage (for example total or half destruction). You need it for disaster support payments, tax reductions and insurance claims.",
        category="disaster",
        department="zeimu",
        life_events=("housing",),
        legal_basis="災害対策基本法第90条の2",
        applicants=("self", "household", "agent"),
        identity_level="my_number_card",
        delivery_methods=("post", "counter"),
        processing_days=14,
        preparation="被害を受けた住まいの所在地、被害の状況、被害がわかる写真（片付けや修理の前に、建物の外観を4方向から、被害箇所を近くから撮影したもの）、マイナンバーカード（オンライン申請の本人確認に使います）。火災による被害は消防署に申請してください。",
        preparation_en="The address of the damaged home, a description of the damage, photos of the damage (taken before you clear up or repair: the outside of the building from four sides and close-ups of the damage), and your My Number Card (to prove your identity online). For fire damage, apply to the fire department instead.",
        attachments=(
            PresetAttachment(
                "被害の状況がわかる写真",
                "Photos of the damage",
                "できるだけ添付してください（片付けや修理の前に撮影したもの）",
                "Please attach them if you can (taken before clearing up or repairs)",
            ),
            PROXY_LETTER,
        ),
    ),
    # ----------------------------------------------------------------------------------------------------------------
    # くらし・ごみ・ペット
    # ----------------------------------------------------------------------------------------------------------------
    # The ticket price is set per item type by each municipality's 廃棄物条例; 500円 per ticket is a typical amount.
    Preset(
        key="sodaigomi",
        name="粗大ごみ収集の申込",
        name_kana="そだいごみしゅうしゅうのもうしこみ",
        name_en="Booking a collection of oversized household waste (sodai gomi)",
        summary="家具や自転車など、ふだんのごみ集積所に出せない大きなごみの戸別収集を申し込みます。収集日が決まったら、品目ごとに必要な枚数の処理券を貼って、当日の朝に指定の場所へ出してください。",
        summary_en="Book a collection of large household items such as furniture or bicycles that cannot go to the normal waste collection point. Once we confirm the date, stick the right number of waste tickets on each item and put it out at the agreed place on the morning of collection.",
        category="environment",
        department="kankyo",
        life_events=("garbage", "moving"),
        legal_basis="廃棄物の処理及び清掃に関する法律第6条の2",
        applicants=("self", "household"),
        identity_level="account",
        processing_days=7,
        preparation="出したい物の品目・大きさ・数、収集場所、連絡先。処理券は市内の取扱店でお買い求めください。エアコン・テレビ・冷蔵庫（冷凍庫）・洗濯機（衣類乾燥機）とパソコンは収集できません。",
        preparation_en="What you want to throw away (type, size and number), the collection place and your contact details. Buy waste tickets at a local shop that sells them. We cannot collect air conditioners, TVs, refrigerators or freezers, washing machines or clothes dryers, or computers: these are recycled separately.",
        attachments=(
            PresetAttachment(
                "出したい物の写真",
                "Photo of the item",
                "品目や大きさがわからない場合",
                "If you are not sure of the item type or size",
            ),
        ),
        fees=(SODAIGOMI_TICKET_FEE,),
    ),
    # Registration 3,000円 and the rabies vaccination tag 550円 follow 地方公共団体の手数料の標準に関する政令; a death
    # notice is free (the form computes the fee from the answers).
    Preset(
        key="inu-toroku",
        name="犬の登録・死亡届",
        name_kana="いぬのとうろくしぼうとどけ",
        name_en="Dog registration and notice of a dog's death",
        summary="生後91日以上の犬を飼い始めたら30日以内に登録し、毎年の狂犬病予防注射を受けたら注射済票の交付を受けてください。犬が死亡したときも30日以内に届け出てください。",
        summary_en="Register a dog aged over 90 days within 30 days of getting it, and get a vaccination tag after each yearly rabies vaccination. If your dog dies, tell us within 30 days.",
        category="pets",
        department="kankyo",
        life_events=("pets",),
        legal_basis="狂犬病予防法第4条、第5条",
        applicants=("self", "household"),
        identity_level="account",
        delivery_methods=("post", "counter"),
        processing_days=7,
        preparation="飼い主の住所・氏名・連絡先、犬の名前・種類・毛色・性別・生年月日。登録や注射済票の交付には動物病院が発行した狂犬病予防注射済証明書、死亡のときは死亡日。環境省のマイクロチップ情報登録を済ませた犬は、登録の手続が不要な場合があります。",
        preparation_en="The owner's address, name and contact details, and the dog's name, breed, coat colour, sex and date of birth. For registration or a vaccination tag: the rabies vaccination certificate from the vet. For a death: the date of death. If your dog's microchip is registered with the Ministry of the Environment database, separate registration may not be needed.",
        attachments=(
            PresetAttachment(
                "狂犬病予防注射済証明書",
                "Rabies vaccination certificate",
                "注射済票の交付を申請する場合（動物病院が発行します）",
                "If you apply for a vaccination tag (issued by the vet)",
            ),
            PresetAttachment(
                "マイクロチップの登録証明書",
                "Microchip registration certificate",
                "環境省のマイクロチップ情報登録を済ませている場合",
                "If your dog's microchip is registered with the Ministry of the Environment",
            ),
        ),
        fees=(DOG_REGISTRATION_FEE, RABIES_TAG_FEE),
    ),
    # The demo municipalities have no 水道課 (上下水道課); water is assigned to 建設課 ("kensetsu"). A municipality
    # with a water department, or a separate water authority, picks it when enabling this preset.
    Preset(
        key="suido-kaishi-chushi",
        name="水道使用開始・中止届",
        name_kana="すいどうしようかいししちゅうしとどけ",
        name_en="Notice to start or stop your water supply",
        summary="引越しなどで水道の使用を始めるとき・やめるときに届け出ます。使用開始日・中止日の3日前（土・日・祝日を除く）までにお申し込みください。",
        summary_en="Tell us when you start or stop using the water supply, for example when you move. Apply at least 3 working days before the start or stop date.",
        category="living",
        department="kensetsu",
        life_events=("moving", "housing"),
        legal_basis="水道法第14条、各市町村の給水条例",
        applicants=("self", "household"),
        identity_level="account",
        processing_days=3,
        preparation="使用場所の住所、使用者の氏名と連絡先、開始日または中止日、お客様番号（検針票に記載されています）。中止のときは最終料金の精算方法、開始のときは口座振替の希望の有無。",
        preparation_en="The address where water is used, the user's name and contact details, the start or stop date, and your customer number (shown on the meter reading slip). When stopping: how you will pay the final bill. When starting: whether you want to pay by direct debit.",
    ),
    # ----------------------------------------------------------------------------------------------------------------
    # イベント・アンケート (templates the municipality copies for each event or survey)
    # ----------------------------------------------------------------------------------------------------------------
    Preset(
        key="event-koza",
        name="イベント・講座の申込",
        name_kana="いべんとこうざのもうしこみ",
        name_en="Registration for events and classes",
        summary="市町村が開催するイベント・講座・教室への参加を申し込みます。定員を超えたときは抽選または先着順とし、結果をメールでお知らせします。",
        summary_en="Sign up for an event, course or class run by the municipality. If there are more applicants than places, we draw lots or take the first to apply, and email you the result.",
        category="culture",
        department="shogai-gakushu",
        applicants=("self", "household"),
        identity_level="none",
        processing_days=0,
        preparation="参加する方の氏名・年齢、連絡先（メールアドレスまたは電話番号）。参加費がある場合は当日お持ちください。",
        preparation_en="The name and age of each participant and your contact details (email address or phone number). If there is a participation fee, bring it on the day.",
    ),
    Preset(
        key="survey",
        name="アンケート",
        name_kana="あんけーと",
        name_en="Survey",
        summary="市町村からのアンケートにオンラインで回答します。回答は統計的に集計し、個人が特定される形で公表することはありません。",
        summary_en="Answer a municipal survey online. Answers are only used in statistics and are never published in a way that identifies you.",
        category="survey",
        department="dx",
        applicants=("self",),
        identity_level="none",
        channel="online",
        processing_days=0,
        preparation="特に必要なものはありません。回答にかかる時間の目安はアンケートごとにご案内します。",
        preparation_en="You do not need anything. Each survey tells you about how long it takes.",
    ),
)


def preset_by_key(key: str) -> Preset | None:
    return next((preset for preset in PRESETS if preset.key == key), None)
