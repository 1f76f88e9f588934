"""People of a lab server (issue 15): ``users add|list|revoke``, tokens stored hashed, each user's
own library over one shared catalog, anonymous visitors read only, sign-in with a signed session
cookie and per-user CSRF tokens; on both stores (``catalog_location``)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _catalog_helpers import jsonl_file
from click.testing import CliRunner
from starlette.testclient import TestClient

from paperatlas import Atlas
from paperatlas.cli import cli
from paperatlas.errors import InvalidInput, NotFound
from paperatlas.filters import Filters
from paperatlas.services import library, users
from paperatlas.services.ingest import ingest_paths
from paperatlas.settings import Settings
from paperatlas.web import ServerOptions, create_app

BASE = "http://testserver"
OWNER_TOKEN = "owner-s3cret"


@pytest.fixture
def atlas(catalog_location: str | Path, settings: Settings, tmp_path: Path) -> Iterator[Atlas]:
    with Atlas.open(catalog_location, settings) as opened:
        ingest_paths(opened, [jsonl_file(tmp_path / "papers.jsonl", 6)])
        yield opened


def ids(atlas: Atlas) -> list[str]:
    return sorted(p.id for p in atlas.store.papers.list(Filters(), limit=None))


# -- the core ---------------------------------------------------------------------------------------
def test_tokens_are_shown_once_and_stored_only_as_their_hash(atlas: Atlas) -> None:
    ada, token = users.add_user(atlas, "ada")
    assert token.startswith("pa_") and len(token) >= 40
    with atlas.store.dump_tables() as dump:
        rows = [r for chunk in dump.rows("users") for r in chunk]
    assert [r[1] for r in rows] == ["ada"]
    assert token not in json.dumps(rows) and rows[0][2] == hashlib.sha256(token.encode()).hexdigest()
    assert users.authenticate(atlas, token) == ada
    assert users.authenticate(atlas, token + "x") is None and users.authenticate(atlas, "") is None
    _, other = users.add_user(atlas, "bob")
    assert other != token


def test_bad_names_taken_names_and_revocations_say_what_to_do(atlas: Atlas) -> None:
    users.add_user(atlas, "ada")
    for bad in ("", "a b", "owner", "x" * 65, "<script>"):
        with pytest.raises(InvalidInput, match="not a usable user name"):
            users.add_user(atlas, bad)
    with pytest.raises(InvalidInput, match="exists already"):
        users.add_user(atlas, "ada")
    revoked = users.revoke_user(atlas, "ada")
    assert revoked.revoked_at and not revoked.active
    with pytest.raises(InvalidInput, match="revoked already"):
        users.revoke_user(atlas, "ada")
    with pytest.raises(NotFound, match="no user named 'zed'"):
        users.revoke_user(atlas, "zed")
    with pytest.raises(InvalidInput, match="exists already \\(revoked\\)"):
        users.add_user(atlas, "ada")


def test_each_user_has_their_own_library_over_one_catalog(atlas: Atlas) -> None:
    a, b, c = ids(atlas)[:3]
    ada, _ = users.add_user(atlas, "ada")
    bob, _ = users.add_user(atlas, "bob")
    as_ada, as_bob = atlas.for_user(ada.id), atlas.for_user(bob.id)
    library.star(as_ada, a)
    library.add_tag(as_ada, a, "rl")
    library.set_note(as_ada, a, "ada's note")
    ada_list = library.create_list(as_ada, "mine", [a])
    library.star(as_bob, b)
    bob_list = library.create_list(as_bob, "mine", [c])  # the same name: names are per user
    library.star(atlas, c)  # the owner's
    assert as_ada.library.starred_ids() == [a] and as_bob.library.starred_ids() == [b] and atlas.library.starred_ids() == [c]
    assert library.state(as_bob, a).to_dict() == {"paper_id": a, "starred": False, "tags": [], "note": "", "lists": []}
    assert library.state(as_ada, a).tags == ["rl"] and library.state(as_ada, a).note == "ada's note"
    assert [lst.id for lst in library.reading_lists(as_ada)] == [ada_list.id] != [bob_list.id]
    with pytest.raises(NotFound):  # another user's list is not found, to read or to change
        library.add_to_list(as_bob, ada_list.id, b)
    with pytest.raises(NotFound):
        library.delete_list(as_bob, ada_list.id)
    assert as_bob.library.list_items(ada_list.id) == []
    assert atlas.library.tag_counts() == [] and as_ada.library.tag_counts() == [("rl", 1)]


def test_a_merge_moves_and_a_split_gives_back_every_users_rows(atlas: Atlas) -> None:
    from paperatlas.services import review

    a, b = ids(atlas)[:2]
    ada, _ = users.add_user(atlas, "ada")
    as_ada = atlas.for_user(ada.id)
    library.star(as_ada, b)
    library.set_note(as_ada, b, "on b")
    library.add_tag(atlas, b, "owner-tag")
    review.merge(atlas, a, b)
    assert as_ada.library.starred_ids() == [a] and as_ada.library.notes()[0][:2] == (a, "on b")
    assert atlas.library.tagged_ids("owner-tag") == [a] and atlas.library.starred_ids() == []
    kept, split_off = [p.id for p in review.split(atlas, a).papers]
    assert as_ada.library.starred_ids() == [split_off] and [n[0] for n in as_ada.library.notes()] == [split_off]
    assert atlas.library.tagged_ids("owner-tag") == [split_off] and kept == a


def test_the_cli_adds_lists_and_revokes_users(catalog_location: str | Path, settings: Settings) -> None:
    runner = CliRunner()
    db = ["--db", str(catalog_location)]
    added = runner.invoke(cli, ["users", "add", "ada", "--json", *db])
    assert added.exit_code == 0, added.output
    token = json.loads(added.output)["token"]
    listed = json.loads(runner.invoke(cli, ["users", "list", "--json", *db]).output)
    assert [(u["name"], u["active"]) for u in listed] == [("ada", True)] and token not in json.dumps(listed)
    assert runner.invoke(cli, ["users", "revoke", "ada", *db]).exit_code == 0
    again = runner.invoke(cli, ["users", "revoke", "ada", *db])
    assert again.exit_code != 0 and "revoked already" in again.output
    with Atlas.open(catalog_location, settings) as atlas:
        assert users.authenticate(atlas, token) is None


# -- over HTTP ---------------------------------------------------------------------------------------
@pytest.fixture
def lab(atlas: Atlas) -> Iterator[TestClient]:
    app = create_app(atlas, ServerOptions(shared=True, token=OWNER_TOKEN, allowed_hosts=("testserver",)))
    app.state.sessions.cache_s = 0  # who a token names is looked up on every request (revocations at once)
    with TestClient(app, base_url=BASE) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def csrf_of(client: TestClient, path: str = "/library") -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', client.get(path).text)
    assert match
    return match.group(1)


def sign_in(client: TestClient, token: str) -> Any:
    return client.post("/login", data={"token": token, "next": "/library"}, headers={"Origin": BASE}, follow_redirects=False)


def test_over_http_users_write_only_their_own_library(lab: TestClient, atlas: Atlas) -> None:
    a, b = ids(atlas)[:2]
    _, ada = users.add_user(atlas, "ada")
    _, bob = users.add_user(atlas, "bob")
    assert lab.post(f"/api/library/star/{a}", headers=bearer(ada)).json()["starred"] is True
    assert lab.get("/api/library", headers=bearer(bob)).json()["starred"] == []
    assert [p["id"] for p in lab.get("/api/library", headers=bearer(ada)).json()["starred"]] == [a]
    assert lab.get(f"/api/paper/{a}", headers=bearer(bob)).json()["library"]["starred"] is False
    made = lab.post("/api/library/lists", headers=bearer(ada), json={"name": "to read", "paper_id": b}).json()
    taken = lab.post(f"/api/library/lists/{made['id']}/items", headers=bearer(bob), json={"paper_id": a})
    assert taken.status_code == 404 and "no reading list" in taken.json()["error"]["message"]
    assert lab.delete(f"/api/library/lists/{made['id']}", headers=bearer(bob)).status_code == 404
    assert lab.get("/api/library/lists", headers=bearer(ada)).json()["lists"][0]["name"] == "to read"
    assert lab.get("/api/me", headers=bearer(ada)).json() == {"user": "ada", "can_write": True, "shared": True}
    assert lab.post(f"/api/library/star/{b}", headers=bearer(OWNER_TOKEN)).status_code == 200  # the owner's own
    assert [p["id"] for p in lab.get("/api/library", headers=bearer(OWNER_TOKEN)).json()["starred"]] == [b]


def test_anonymous_visitors_read_only_and_see_no_library(lab: TestClient, atlas: Atlas) -> None:
    a = ids(atlas)[0]
    _, ada = users.add_user(atlas, "ada")
    lab.post(f"/api/library/star/{a}", headers=bearer(ada))
    assert lab.get("/api/me").json() == {"user": None, "can_write": False, "shared": True}
    assert lab.get("/api/library").json()["starred"] == []
    assert lab.get(f"/api/paper/{a}").status_code == 200
    refused = lab.post(f"/api/library/star/{a}", headers={"Origin": BASE, "X-CSRF-Token": csrf_of(lab)})
    assert refused.status_code == 403 and "sign in at /login" in refused.json()["error"]["hint"]
    assert "sign in" in lab.get("/").text


def test_wrong_and_revoked_tokens_get_401_and_nothing_is_written(lab: TestClient, atlas: Atlas) -> None:
    a = ids(atlas)[0]
    _, ada = users.add_user(atlas, "ada")
    for token in ("pa_wrong", ada + "x", "", OWNER_TOKEN + "x"):
        r = lab.post(f"/api/library/star/{a}", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401 and r.json()["error"]["message"] == "wrong or revoked token", token
        assert r.headers["www-authenticate"].startswith("Bearer")
    users.revoke_user(atlas, "ada")
    r = lab.post(f"/api/library/star/{a}", headers=bearer(ada))
    assert r.status_code == 401
    assert atlas.for_user(1).library.starred_ids() == [] and lab.get("/api/library").status_code == 200


def test_sign_in_keeps_a_signed_session_and_csrf_is_per_user(lab: TestClient, atlas: Atlas) -> None:
    a, b = ids(atlas)[:2]
    _, ada = users.add_user(atlas, "ada")
    anonymous_csrf = csrf_of(lab)
    wrong = sign_in(lab, "pa_nope")
    assert wrong.status_code == 401 and "wrong or revoked token" in wrong.text
    foreign = lab.post("/login", data={"token": ada}, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    signed = sign_in(lab, ada)
    assert signed.status_code == 303 and signed.headers["location"] == "/library"
    cookie = signed.headers["set-cookie"].lower()
    assert "paperatlas_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie and ada.lower() not in cookie
    assert lab.get("/api/me").json()["user"] == "ada" and "ada" in lab.get("/").text
    token = csrf_of(lab)
    assert token != anonymous_csrf
    assert lab.post(f"/api/library/star/{a}", headers={"Origin": BASE, "X-CSRF-Token": anonymous_csrf}).status_code == 403
    assert lab.post(f"/api/library/star/{a}", headers={"Origin": BASE}).status_code == 403  # the cookie alone is not enough
    assert lab.post(f"/api/library/star/{a}", headers={"Origin": BASE, "X-CSRF-Token": token}).json()["starred"] is True
    # a tampered cookie is no cookie: the visitor is anonymous again
    uid, issued, sig = lab.cookies["paperatlas_session"].split(".")
    for forged in (f"{int(uid) + 1}.{issued}.{sig}", f"{uid}.{int(issued) + 1}.{sig}", f"{uid}.{issued}.{sig[:-2]}", "0.1.x"):
        lab.cookies.clear()
        lab.cookies.set("paperatlas_session", forged)
        assert lab.get("/api/me").json()["user"] is None, forged
    lab.cookies.clear()
    lab.cookies.set("paperatlas_session", f"{uid}.{issued}.{sig}")
    assert lab.get("/api/me").json()["user"] == "ada"
    users.revoke_user(atlas, "ada")
    assert lab.get("/api/me").json()["user"] is None  # revoking ends the sessions made with the token
    assert lab.post(f"/api/library/star/{b}", headers={"Origin": BASE, "X-CSRF-Token": token}).status_code == 403
    out = lab.post("/logout", headers={"Origin": BASE}, follow_redirects=False)
    assert out.status_code == 303 and "paperatlas_session" in out.headers["set-cookie"]


def test_a_token_in_the_url_becomes_a_session_without_the_token(lab: TestClient, atlas: Atlas) -> None:
    _, ada = users.add_user(atlas, "ada")
    r = lab.get(f"/?token={ada}&q=paper", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/?q=paper" and ada not in r.headers["set-cookie"]
    assert lab.get("/api/me").json()["user"] == "ada"
    assert lab.get("/?token=pa_wrong", follow_redirects=False).status_code == 403


def test_sessions_outlive_a_restart_but_not_a_new_owner_token(atlas: Atlas) -> None:
    """The signing key lives in the catalog: another app over it (another worker process, or
    after a restart) accepts a session; the owner's sessions end when the server's --token changes."""
    _, ada = users.add_user(atlas, "ada")

    def app(token: str) -> TestClient:
        return TestClient(create_app(atlas, ServerOptions(shared=True, token=token, allowed_hosts=("testserver",))),
                          base_url=BASE)

    with app(OWNER_TOKEN) as first:
        sign_in(first, ada)
        ada_cookie = first.cookies["paperatlas_session"]
        first.cookies.clear()
        first.get(f"/?token={OWNER_TOKEN}")
        owner_cookie = first.cookies["paperatlas_session"]
    with app(OWNER_TOKEN) as again:
        again.cookies.set("paperatlas_session", ada_cookie)
        assert again.get("/api/me").json()["user"] == "ada"
        again.cookies.set("paperatlas_session", owner_cookie)
        assert again.get("/api/me").json()["user"] == "owner"
    with app("another") as changed:
        changed.cookies.set("paperatlas_session", owner_cookie)
        assert changed.get("/api/me").json()["user"] is None
        changed.cookies.set("paperatlas_session", ada_cookie)
        assert changed.get("/api/me").json()["user"] == "ada"


def test_watches_and_followed_authors_are_each_users_own(atlas: Atlas, tmp_path: Path) -> None:
    """Saved searches per user (the same name for two users), checked in one pass against each
    user's own follows and profiles; one user's profile watch failing leaves the others be."""
    from paperatlas.services import watches

    ada, _ = users.add_user(atlas, "ada")
    bob, _ = users.add_user(atlas, "bob")
    as_ada, as_bob = atlas.for_user(ada.id), atlas.for_user(bob.id)
    watches.add_watch(as_ada, "mine", "graph")
    watches.add_watch(as_bob, "mine", "reinforcement")
    watches.add_watch(as_bob, "starred", profile="starred")  # bob stars nothing: this watch reports an error
    watches.follow(as_ada, "Author 13")
    assert [w.name for w in watches.list_watches(as_ada)] == ["following", "mine"]
    assert [w.name for w in watches.list_watches(as_bob)] == ["mine", "starred"] and watches.list_watches(atlas) == []
    assert watches.follows(as_bob) == [] and [n for n, _ in watches.follows(as_ada)] == ["Author 13"]
    new = [("Graph neural networks for molecules", "Carol King"), ("Diffusion models for audio", "Author 13"),
           ("Offline reinforcement learning at scale", "Dan Reed")]
    more = tmp_path / "more.jsonl"
    more.write_text("".join(json.dumps({"id": f"new{i}", "title": t, "authors": [a], "venue": "TestConf", "year": 2025}) + "\n"
                            for i, (t, a) in enumerate(new)))
    ingest_paths(atlas, [more])
    report = watches.check(atlas)
    titles = {name: sorted(i.title for i in items) for name, items in watches.unseen_items(as_ada).items()}
    assert titles == {"mine": ["Graph neural networks for molecules"], "following": ["Diffusion models for audio"]}
    bob_items = watches.unseen_items(as_bob)
    assert [i.title for i in bob_items["mine"]] == ["Offline reinforcement learning at scale"]
    assert bob_items["starred"] == [] and report.errors.keys() == {f"starred (user {bob.id})"}
    watches.remove_watch(as_bob, "mine")
    assert [w.name for w in watches.list_watches(as_ada)] == ["following", "mine"]


def test_private_feed_links_read_one_persons_feeds_until_revoked(lab: TestClient, atlas: Atlas) -> None:
    """A feed reader cannot sign in: the library page's Atom links carry the person's feed key."""
    a = ids(atlas)[0]
    _, ada = users.add_user(atlas, "ada")
    lab.post("/api/library/lists", headers=bearer(ada), json={"name": "to read", "paper_id": a})
    assert lab.get("/feeds/list/1.atom").status_code == 404  # anonymous: nobody's list
    sign_in(lab, ada)
    match = re.search(r'href="(/feeds/list/1\.atom\?key=[^"]+)"', lab.get("/library").text)
    assert match, "the library page links the list's private feed"
    link = match.group(1)
    lab.cookies.clear()
    feed = lab.get(link)
    assert feed.status_code == 200 and "Paper number" in feed.text and "to read" in feed.text
    assert lab.get(link[:-3] + "xyz").status_code == 403  # a forged key
    bob_key = link.split("key=")[1].replace("1.", "2.", 1)
    assert lab.get(f"/feeds/list/1.atom?key={bob_key}").status_code == 403  # another user's id, the same MAC
    users.revoke_user(atlas, "ada")
    assert lab.get(link).status_code == 403
