"""Static pools the tenant and sign-in generators draw from.

Ids of SKUs, service plans, first-party apps and resources are the real public ones, so data
from the simulator joins with Microsoft's published mapping tables like production data does.
"""

from __future__ import annotations

# Names
# (kanji, romaji) pairs: display names are "family given" in kanji, UPNs given.family in romaji.
JP_FAMILY = [
    ("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka"),
    ("伊藤", "ito"), ("渡辺", "watanabe"), ("山本", "yamamoto"), ("中村", "nakamura"),
    ("小林", "kobayashi"), ("加藤", "kato"), ("吉田", "yoshida"), ("山田", "yamada"),
    ("佐々木", "sasaki"), ("山口", "yamaguchi"), ("松本", "matsumoto"), ("井上", "inoue"),
    ("木村", "kimura"), ("林", "hayashi"), ("斎藤", "saito"), ("清水", "shimizu"),
    ("山崎", "yamazaki"), ("森", "mori"), ("池田", "ikeda"), ("橋本", "hashimoto"),
    ("阿部", "abe"), ("石川", "ishikawa"), ("前田", "maeda"), ("藤田", "fujita"),
    ("小川", "ogawa"), ("岡田", "okada"),
]
JP_GIVEN = [
    ("翔太", "shota"), ("大輔", "daisuke"), ("健太", "kenta"), ("拓也", "takuya"),
    ("直樹", "naoki"), ("裕子", "yuko"), ("美咲", "misaki"), ("陽子", "yoko"),
    ("恵", "megumi"), ("花子", "hanako"), ("太郎", "taro"), ("誠", "makoto"),
    ("彩", "aya"), ("真由美", "mayumi"), ("亮", "ryo"), ("智子", "tomoko"),
    ("浩二", "koji"), ("由美", "yumi"), ("隆", "takashi"), ("愛", "ai"),
    ("蓮", "ren"), ("結衣", "yui"), ("悠斗", "yuto"), ("さくら", "sakura"), ("健一", "kenichi"),
]
EN_GIVEN = [
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Emily", "Daniel", "Sarah",
    "Thomas", "Olivia", "Chris",
]
EN_FAMILY = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
    "Taylor", "Thomas", "Moore", "Martin", "Clark", "Lewis", "Walker", "Hall", "Young",
    "King", "Wright",
]
GUEST_DOMAINS = ["partner.co.jp", "contoso.com", "fabrikam.com", "gmail.com", "outlook.com"]
COMPANY_NAMES = [
    "Sakura Trading", "Fujimi Systems", "Kawasemi Denki", "Hoshino Logistics", "Aozora Foods",
]

DEPARTMENTS = [
    "営業部", "経理部", "人事部", "情報システム部", "開発部", "マーケティング部", "総務部",
    "法務部", "製造部", "カスタマーサポート部",
]
JOB_TITLES = [
    "部長", "課長", "係長", "主任", "担当", "エンジニア", "Software Engineer",
    "Account Manager", "Sales Representative", "Project Manager", None,
]
OFFICES = ["東京本社 12F", "東京本社 8F", "大阪支社", "名古屋営業所", "福岡営業所", "Remote"]
ROOMS = [("会議室 東京 3F", "room-tokyo-3f"), ("会議室 大阪 A", "room-osaka-a"),
         ("プロジェクター 1", "equipment-projector1"), ("会議室 名古屋", "room-nagoya")]
SERVICE_ACCOUNTS = [("Backup Service", "svc-backup"), ("Scanner", "svc-scanner"),
                    ("No Reply", "noreply"), ("Sync Service", "svc-sync"),
                    ("Monitoring", "svc-monitoring")]

# Licences
# skuPartNumber -> (skuId, [(servicePlanId, servicePlanName)])
SKUS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "ENTERPRISEPACK": ("6fd2c87f-b296-42f0-b197-1e91e994b900", [
        ("efb87545-963c-4e0d-99df-69c6916d9eb0", "EXCHANGE_S_ENTERPRISE"),
        ("5dbe027f-2339-4123-9542-606e4d348a72", "SHAREPOINTENTERPRISE"),
        ("57ff2da0-773e-42df-b2af-ffb7a2317929", "TEAMS1"),
        ("43de0ff5-c92c-492b-9116-175376d08c38", "OFFICESUBSCRIPTION"),
    ]),
    "SPE_E5": ("06ebc4ee-1bb5-47dd-8120-11324bc54e06", [
        ("efb87545-963c-4e0d-99df-69c6916d9eb0", "EXCHANGE_S_ENTERPRISE"),
        ("5dbe027f-2339-4123-9542-606e4d348a72", "SHAREPOINTENTERPRISE"),
        ("57ff2da0-773e-42df-b2af-ffb7a2317929", "TEAMS1"),
        ("eec0eb4f-6444-4f95-aba0-50c24d67f998", "AAD_PREMIUM_P2"),
        ("c1ec4a95-1f05-45b3-a911-aa3fa01094f5", "INTUNE_A"),
    ]),
    "EXCHANGESTANDARD": ("4b9405b0-7788-4568-add1-99614e613b69", [
        ("9aaf7827-d63c-4b61-89c3-182f06f82e5c", "EXCHANGE_S_STANDARD"),
    ]),
    "AAD_PREMIUM": ("078d2b04-f1bd-4111-bbd4-b4b1b354cef4", [
        ("41781fb2-bc02-4b7c-bd55-b576c07bb09d", "AAD_PREMIUM"),
        ("8a256a2b-b617-496d-b51b-e76466e88db0", "MFA_PREMIUM"),
    ]),
    "POWER_BI_PRO": ("f8a1db68-be16-40ed-86d5-cb42ce701560", [
        ("70d33638-9c74-4d01-bfd3-562de28bd4ba", "BI_AZURE_P2"),
    ]),
    "FLOW_FREE": ("f30db892-07e9-47e9-837c-80727f46fd3d", []),
}
SKU_PART_BY_ID = {sku_id: part for part, (sku_id, _) in SKUS.items()}

# Sign-ins
# (appId, appDisplayName, resourceId, resourceDisplayName)
APPS = [
    ("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online",
     "00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online"),
    ("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams",
     "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe", "Microsoft Teams Services"),
    ("00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online",
     "00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online"),
    ("4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome",
     "00000003-0000-0000-c000-000000000000", "Microsoft Graph"),
    ("d3590ed6-52b3-4102-aeff-aad2292ab01c", "Microsoft Office",
     "00000003-0000-0000-c000-000000000000", "Microsoft Graph"),
    ("27922004-5251-4030-b22d-91ecd9a37ea4", "Outlook Mobile",
     "00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online"),
    ("c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Azure Portal",
     "797f4846-ba00-4fd7-ba43-dac1f8f63013", "Windows Azure Service Management API"),
    ("de8bc8b5-d9f9-48b1-a8ad-b748da725064", "Graph Explorer",
     "00000003-0000-0000-c000-000000000000", "Microsoft Graph"),
]
EXCHANGE_APP = APPS[0]
LEGACY_CLIENTS = ["IMAP", "POP", "SMTP", "Exchange ActiveSync", "other clients", "MAPI"]
MODERN_CLIENTS = ["Browser", "Mobile Apps and Desktop clients"]

# (city, state, countryOrRegion, latitude, longitude, ip prefix)
JP_PLACES = [
    ("Tokyo", "Tokyo", "JP", 35.6895, 139.6917, "133.106"),
    ("Osaka", "Osaka", "JP", 34.6937, 135.5023, "153.142"),
    ("Nagoya", "Aichi", "JP", 35.1815, 136.9066, "126.77"),
    ("Fukuoka", "Fukuoka", "JP", 33.5904, 130.4017, "210.170"),
    ("Sapporo", "Hokkaido", "JP", 43.0618, 141.3545, "60.45"),
]
HOME_PLACES = [
    ("Seattle", "Washington", "US", 47.6062, -122.3321, "131.107"),
    ("London", "England", "GB", 51.5072, -0.1276, "81.2"),
    ("Singapore", "Singapore", "SG", 1.3521, 103.8198, "116.12"),
]
UNUSUAL_PLACES = [
    ("Moscow", "Moscow", "RU", 55.7558, 37.6173, "95.165"),
    ("Lagos", "Lagos", "NG", 6.5244, 3.3792, "105.112"),
    ("Sao Paulo", "Sao Paulo", "BR", -23.5505, -46.6333, "177.71"),
    ("Bucharest", "Bucuresti", "RO", 44.4268, 26.1025, "89.34"),
    ("Hanoi", "Ha Noi", "VN", 21.0278, 105.8342, "113.160"),
]
# Password-spray sources: a hosting range and a Tor exit range.
SPRAY_IPS = ["185.220.101.", "45.155.205."]
# Brute-force source: a hosting range (documentation prefixes would be "private" to detections).
BRUTE_IPS = "193.42.33"
TRAVEL_FAR = [
    ("New York", "New York", "US", 40.7128, -74.0060, "74.125"),
    ("Frankfurt am Main", "Hessen", "DE", 50.1109, 8.6821, "91.65"),
    ("Sao Paulo", "Sao Paulo", "BR", -23.5505, -46.6333, "177.71"),
]

FAILURES = {
    50126: ("Error validating credentials due to invalid username or password.",
            "The user didn't enter the right credentials. It's expected to see some number of "
            "these errors in your logs due to users making mistakes."),
    50053: ("Account is locked because user tried to sign in too many times with an incorrect "
            "user ID or password.", None),
    50076: ("Due to a configuration change made by your administrator, or because you moved to "
            "a new location, you must use multi-factor authentication to access the resource.",
            "MFA required in Azure AD"),
    53003: ("Access has been blocked by Conditional Access policies. The access policy does not "
            "allow token issuance.", None),
    50057: ("User account is disabled. The account has been disabled by an administrator.", None),
}

DEVICES = [
    ("Windows 10", "Edge 120.0.0"), ("Windows 10", "Chrome 121.0.0"),
    ("MacOs", "Safari 17.2"), ("iOS 17", "Mobile Safari 17.2"), ("Android", "Chrome Mobile 121.0"),
]
USER_AGENTS = {
    "Windows 10": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                  "Gecko) Chrome/121.0.0.0 Safari/537.36 Edg/120.0.0.0",
    "MacOs": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
             "Gecko) Version/17.2 Safari/605.1.15",
    "iOS 17": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 "
              "(KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
    "Android": "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/121.0.0.0 Mobile Safari/537.36",
}
CA_POLICIES = [
    ("de7e60eb-ed89-4d73-8205-2227def6b7c9", "Require MFA for all users"),
    ("6701123a-b4c6-48af-8565-565c8bf7cabc", "Block legacy authentication"),
]

# Service health
# (id, display name)
SERVICES = [
    ("Exchange", "Exchange Online"), ("OrgLiveID", "Identity Service"),
    ("OSDPPlatform", "Microsoft 365 suite"), ("SharePoint", "SharePoint Online"),
    ("OneDriveForBusiness", "OneDrive for Business"), ("microsoftteams", "Microsoft Teams"),
    ("Intune", "Microsoft Intune"), ("PowerBIcom", "Power BI"),
]
ISSUE_FEATURES = {
    "Exchange": ("E-Mail and calendar access", "Mailflow - delayed delivery from Internet"),
    "OrgLiveID": ("Authentication", "Sign-in"),
    "OSDPPlatform": ("Portal", "Microsoft 365 admin center"),
    "SharePoint": ("SharePoint Features", "Search"),
    "OneDriveForBusiness": ("OneDrive for Business", "Sync client"),
    "microsoftteams": ("Teams Components", "Meetings"),
    "Intune": ("Device management", "Policy deployment"),
    "PowerBIcom": ("Power BI Service", "Report rendering"),
}
