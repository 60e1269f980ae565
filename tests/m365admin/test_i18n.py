"""English and Japanese: chosen from the browser or from the switcher in the top bar."""

from __future__ import annotations

import pytest

from m365admin.choices import Collector, SyncStatus
from m365admin.models import SyncRun
from tests.factories import make_rows, make_tenant

pytestmark = pytest.mark.django_db

JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}


@pytest.fixture
def tenant():
    tenant = make_tenant(name="Contoso")
    make_rows(SyncRun, tenant, 1, collector=Collector.USERS, status=SyncStatus.FAILED)
    return tenant


def test_the_tenants_page_speaks_japanese_to_a_japanese_browser(client, viewer, tenant):
    client.force_login(viewer)
    html = client.get("/", **JA).content.decode()
    assert '<html lang="ja">' in html
    for text in ["<h1>テナント</h1>", "<dt>ユーザー</dt>", "<dt>ライセンスあり</dt>",
                 "<dt>ゲスト</dt>", "<dt>メールボックス</dt>", "<dt>サインイン (24 時間)</dt>",
                 "<dt>失敗したサインイン (24 時間)</dt>", "<th>コレクター</th>",
                 "<th>最終実行</th>", "未実行", "サインアウト", "切り替え",
                 # labels of choices, translated where the template shows them
                 "<td>サービス正常性</td>", '<span class="status status-failed">失敗</span>']:
        assert text in html, text
    for english in ["Tenants", "Sign-ins (24 h)", "Never run", "Sign out", ">Failed<"]:
        assert english not in html, english


def test_the_empty_state_is_translated(client, viewer):
    client.force_login(viewer)
    html = client.get("/", **JA).content.decode()
    assert "登録されているテナントはまだありません。" in html
    assert "管理者にテナントの登録を依頼してください。" in html


def test_the_login_page_speaks_japanese(client):
    html = client.get("/accounts/login/", **JA).content.decode()
    assert "<h1>サインイン</h1>" in html
    assert "ユーザー名" in html and "パスワード" in html


def test_a_failed_login_is_explained_in_japanese(client, viewer):
    response = client.post("/accounts/login/", {"username": "victor", "password": "wrong"}, **JA)
    assert "ユーザー名とパスワードが一致しません。" in response.content.decode()


def test_an_english_browser_gets_english(client, viewer, tenant):
    client.force_login(viewer)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert '<html lang="en">' in html and "<h1>Tenants</h1>" in html


def test_an_unsupported_language_falls_back_to_english(client, viewer):
    client.force_login(viewer)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr").content.decode()
    assert '<html lang="en">' in html


def test_the_switcher_offers_both_languages_by_their_own_names(client, viewer):
    client.force_login(viewer)
    html = client.get("/").content.decode()
    assert '<form class="language" action="/i18n/setlang/" method="post">' in html
    assert '<option value="en" selected>English</option>' in html
    assert '<option value="ja">日本語</option>' in html


def test_the_switcher_changes_to_japanese_and_back(client, viewer, tenant):
    client.force_login(viewer)
    response = client.post("/i18n/setlang/", {"language": "ja", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies["django_language"].value == "ja"
    html = client.get("/").content.decode()  # no Accept-Language: the cookie decides
    assert "<h1>テナント</h1>" in html
    assert '<option value="ja" selected>日本語</option>' in html

    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    # The choice beats the browser's Accept-Language.
    assert "<h1>Tenants</h1>" in client.get("/", **JA).content.decode()


def test_the_switcher_refuses_an_offsite_next(client):
    response = client.post("/i18n/setlang/", {"language": "ja", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_the_admin_shows_model_names_in_japanese(client, admin):
    client.force_login(admin)
    html = client.get("/admin/", **JA).content.decode()
    for name in ["テナント", "サインイン", "メールボックス", "サービス正常性の問題", "同期の実行"]:
        assert name in html, name
