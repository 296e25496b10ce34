"""A small Discourse API client: find a topic by ``external_id``, create one with ``POST /posts.json``.

Idempotency rests on Discourse's topic ``external_id``: the dispatcher always asks
``GET /t/external_id/{id}.json`` before creating again, so a topic whose creation succeeded but was never
recorded (a crash between the HTTP call and the database commit) is found, not duplicated.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

import httpx

from alerts.errors import ConfigurationError, PermanentError, RateLimited, TransientError
from molva.escaping import plain_title, response_excerpt, strip_invisible


@dataclass(frozen=True)
class RemoteTopic:
    id: int
    slug: str
    url: str
    # From the topic's JSON (not known right after creating it): the loaded posts' text (raw when given,
    # and the cooked HTML unescaped), first post first.
    posts: tuple[str, ...] = field(default=(), compare=False)
    closed: bool = False  # closed or archived by a moderator: takes no more grouped complaints


POSTS_PER_REQUEST = 20


def _post_texts(data: dict[str, Any]) -> tuple[str, ...]:
    stream = data.get("post_stream")
    posts = stream.get("posts") if isinstance(stream, dict) else None
    texts: list[str] = []
    for post in posts if isinstance(posts, list) else []:
        if not isinstance(post, dict):
            continue
        cooked = html.unescape(str(post.get("cooked") or ""))
        texts.append("\n".join((str(post.get("raw") or ""), cooked, unquote(cooked))))
    return tuple(texts)


def _errors(response: httpx.Response) -> tuple[list[str], dict[str, Any]]:
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        excerpt = response_excerpt(response.text)
        return ([excerpt] if excerpt else []), {}
    if not isinstance(data, dict):
        return [response_excerpt(str(data))], {}
    errors = data.get("errors") or []
    return [str(e) for e in errors] if isinstance(errors, list) else [str(errors)], data


def _wait_seconds(response: httpx.Response, data: dict[str, Any]) -> float:
    header = response.headers.get("Retry-After")
    extras = data.get("extras") if isinstance(data.get("extras"), dict) else {}
    for value in (header, (extras or {}).get("wait_seconds")):
        try:
            if value is not None:
                return max(1.0, float(value))
        except (TypeError, ValueError):
            continue
    return 10.0


def _json(response: httpx.Response, what: str) -> dict[str, Any]:
    """The answer's JSON object; anything else (an HTML page from a proxy, a login page) is one line."""
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        kind = response.headers.get("Content-Type", "").split(";")[0] or "без типа"
        raise TransientError(
            f"Discourse {response.status_code}: ответ на {what} — не JSON ({kind}); "
            "проверьте MOLVA_DISCOURSE_URL: это адрес форума Discourse?"
        )
    return data


def _field(data: dict[str, Any], key: str, what: str) -> int:
    try:
        return int(data[key])
    except (KeyError, TypeError, ValueError):
        raise TransientError(f"Discourse: в ответе на {what} нет поля {key}") from None


class DiscourseClient:
    def __init__(self, http: httpx.Client, base_url: str, api_key: str, api_username: str) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.headers = {"Api-Key": api_key, "Api-Username": api_username, "Accept": "application/json"}

    def topic_url(self, slug: str, topic_id: int) -> str:
        return f"{self.base_url}/t/{slug}/{topic_id}"

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One API call. Redirects are followed for GET only (``/t/external_id/…`` answers 301): a POST
        that is redirected was not done there, and is usually a wrong base URL (http for https)."""
        try:
            response = self.http.request(
                method, f"{self.base_url}{path}", headers=self.headers, follow_redirects=method == "GET",
                **kwargs,
            )
        except httpx.TimeoutException as exc:
            raise TransientError(f"Discourse: таймаут ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"Discourse недоступен: {exc}") from exc
        except httpx.HTTPError as exc:  # too many redirects, an invalid URL
            raise TransientError(f"Discourse: {type(exc).__name__}: {exc}") from exc
        if response.is_redirect:
            target = response.headers.get("Location") or "?"
            raise ConfigurationError(
                f"Discourse {response.status_code}: {method} {path} перенаправлен на {target}; "
                f"проверьте адрес форума MOLVA_DISCOURSE_URL ({self.base_url}): http или https, без лишнего пути"
            )
        if response.status_code == 429:
            errors, data = _errors(response)
            wait = _wait_seconds(response, data)
            raise RateLimited(
                f"Discourse 429: {'; '.join(errors) or 'rate limit'} (ждать {wait:.0f} с)", wait
            )
        if response.status_code >= 500:
            errors, _ = _errors(response)
            raise TransientError(f"Discourse {response.status_code}: {'; '.join(errors) or 'ошибка сервера'}")
        if response.status_code == 404:
            errors, data = _errors(response)
            if "errors" not in data and "error_type" not in data:  # not Discourse's own "not found"
                raise ConfigurationError(
                    f"Discourse 404 на {path}: {'; '.join(errors) or 'пустой ответ'}; по адресу {self.base_url} "
                    "не отвечает API Discourse, проверьте MOLVA_DISCOURSE_URL"
                )
        if response.status_code in (401, 403):
            errors, _ = _errors(response)
            raise ConfigurationError(
                f"Discourse {response.status_code}: {'; '.join(errors) or 'доступ запрещён'} "
                "(проверьте MOLVA_DISCOURSE_API_KEY и MOLVA_DISCOURSE_API_USERNAME)"
            )
        return response

    def find_by_external_id(self, external_id: str) -> RemoteTopic | None:
        """The topic created with ``external_id``, or None (404)."""
        response = self._request("GET", f"/t/external_id/{quote(external_id, safe='')}.json")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise TransientError(f"Discourse {response.status_code} при поиске темы {external_id}")
        return self._topic(_json(response, "поиск темы"), "поиск темы")

    def _topic(self, data: dict[str, Any], what: str) -> RemoteTopic:
        topic_id = _field(data, "id", what)
        slug = str(data.get("slug") or "topic")
        closed = bool(data.get("closed")) or bool(data.get("archived"))
        return RemoteTopic(topic_id, slug, self.topic_url(slug, topic_id), _post_texts(data), closed)

    def get_topic(self, topic_id: int, *, all_posts: bool = False) -> RemoteTopic | None:
        """``GET /t/{id}.json`` (None on 404); ``all_posts`` also loads the posts beyond the first chunk."""
        response = self._request("GET", f"/t/{topic_id}.json")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise TransientError(f"Discourse {response.status_code} при чтении темы {topic_id}")
        data = _json(response, "чтение темы")
        topic = self._topic(data, "чтение темы")
        stream = data.get("post_stream") if isinstance(data.get("post_stream"), dict) else {}
        ids = [i for i in (stream or {}).get("stream") or [] if isinstance(i, int)]
        loaded = {p.get("id") for p in (stream or {}).get("posts") or [] if isinstance(p, dict)}
        missing = [i for i in ids if i not in loaded] if all_posts else []
        texts = list(topic.posts)
        for start in range(0, len(missing), POSTS_PER_REQUEST):
            chunk = missing[start:start + POSTS_PER_REQUEST]
            more = self._request("GET", f"/t/{topic_id}/posts.json", params=[("post_ids[]", i) for i in chunk])
            if more.status_code != 200:
                raise TransientError(f"Discourse {more.status_code} при чтении сообщений темы {topic_id}")
            texts += _post_texts(_json(more, "чтение сообщений темы"))
        return RemoteTopic(topic.id, topic.slug, topic.url, tuple(texts), topic.closed)

    def reply(self, topic_id: int, raw: str) -> int:
        """``POST /posts.json`` with ``topic_id``: a reply in the topic; returns the post's id."""
        response = self._request("POST", "/posts.json", json={"topic_id": topic_id, "raw": strip_invisible(raw)})
        if response.status_code == 422:
            errors, _ = _errors(response)
            raise ValidationFailed(errors)
        if response.status_code == 404:  # deleted since it was read: the next attempt plans again
            raise TransientError(f"Discourse 404: тема {topic_id} не найдена")
        if response.status_code != 200:
            errors, _ = _errors(response)
            raise PermanentError(f"Discourse {response.status_code}: {'; '.join(errors)}")
        return _field(_json(response, "ответ в теме"), "id", "ответ в теме")

    def create_topic(
        self, *, title: str, raw: str, external_id: str, category: int | str | None
    ) -> RemoteTopic:
        """``POST /posts.json``; raises PermanentError with Discourse's messages on 422."""
        # Last line of defence (the body's post text is already inert markdown): no bidi or invisible controls.
        body: dict[str, Any] = {"title": plain_title(title), "raw": strip_invisible(raw), "external_id": external_id}
        if category is not None:
            body["category"] = category
        response = self._request("POST", "/posts.json", json=body)
        if response.status_code == 422:
            errors, _ = _errors(response)
            raise ValidationFailed(errors)
        if response.status_code != 200:
            errors, _ = _errors(response)
            raise PermanentError(f"Discourse {response.status_code}: {'; '.join(errors)}")
        data = _json(response, "создание темы")
        topic_id = _field(data, "topic_id", "создание темы")
        slug = str(data.get("topic_slug") or "topic")
        return RemoteTopic(topic_id, slug, self.topic_url(slug, topic_id))


class ValidationFailed(PermanentError):
    """Discourse 422: the post was refused; ``errors`` are Discourse's messages."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"Discourse 422: {'; '.join(errors) or 'validation failed'}")
        self.errors = errors

    @property
    def title_taken(self) -> bool:
        """Discourse answers in the site's locale: "Title has already been used", «Заголовок уже
        используется» (ru), or similar wording."""
        return any(_TITLE_TAKEN.search(e) for e in self.errors)


_TITLE_TAKEN = re.compile(
    r"(?is)(?:title|заголов|назван).*?(?:already|уже\s+(?:был\w*\s+)?(?:использ|занят|существ|есть))"
    r"|(?:already|уже\s+(?:был\w*\s+)?(?:использ|занят|существ|есть)).*?(?:title|заголов|назван)"
)
