"""The LLM backends, built from settings: the only module that talks to an LLM provider.

Integrations are imported lazily. llama-index's global `Settings.llm` (OpenAI by default) is never
read or set: every LLM is built here and passed down explicitly.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

from .errors import ConfigError, ModelUnavailable
from .settings import Settings

OLLAMA_URL = "http://127.0.0.1:11434"
PROBE_TIMEOUT_S = 1.0  # connect <= 0.5 s, then <= 1 s per read: the whole probe stays under 2 s
CONTEXT_WINDOW = 8192  # explicit: Ollama would otherwise ask the server and allocate the model's full context
MAX_OUTPUT_TOKENS = 512
CONNECT_TIMEOUT_S = 1.0  # a chat request to a server that stopped listening fails in this bound, not llm_timeout_s
SETTINGS_HINT = "check ASSISTANT_LLM_BASE_URL / ASSISTANT_LLM_PROVIDER"


def build_llm(settings: Settings):
    """A llama-index LLM for settings.llm_provider (ollama, openai-like, llamacpp)."""
    if not settings.llm_model:
        raise ConfigError(
            "answer_mode=llm needs a model: set ASSISTANT_LLM_MODEL (Ollama/OpenAI model name or GGUF path)"
        )
    builders = {"ollama": _ollama, "openai-like": _openai_like, "llamacpp": _llamacpp}
    if settings.llm_provider not in builders:
        raise ConfigError(f"unknown ASSISTANT_LLM_PROVIDER {settings.llm_provider!r}: use one of {', '.join(builders)}")
    return builders[settings.llm_provider](settings)


def _ollama(settings: Settings):
    """Ollama at llm_base_url (default 127.0.0.1:11434)."""
    from llama_index.llms.ollama import Ollama

    return Ollama(
        model=settings.llm_model,
        base_url=settings.llm_base_url or OLLAMA_URL,
        request_timeout=settings.llm_timeout_s,
        temperature=0.0,
        context_window=CONTEXT_WINDOW,
        is_function_calling_model=False,
    )


def _openai_like(settings: Settings):
    """Any OpenAI-compatible server (vLLM, LM Studio, llama.cpp server, ...) at llm_base_url."""
    if not settings.llm_base_url:
        raise ConfigError(
            "provider openai-like needs the server URL: set ASSISTANT_LLM_BASE_URL (e.g. http://127.0.0.1:8000/v1)"
        )
    from llama_index.llms.openai_like import OpenAILike

    # Local servers ignore the key, but the openai client refuses an empty one.
    key = settings.llm_api_key or os.environ.get("OPENAI_API_KEY") or "not-needed"
    # No retries (llama-index's own retry and the openai client's would each try again: up to 4 requests,
    # with back-off, before a failing server is reported); reads wait llm_timeout_s (per streamed chunk),
    # connecting waits CONNECT_TIMEOUT_S.
    return OpenAILike(
        model=settings.llm_model,
        api_base=settings.llm_base_url,
        api_key=key,
        is_chat_model=True,
        is_function_calling_model=False,
        context_window=CONTEXT_WINDOW,
        max_tokens=MAX_OUTPUT_TOKENS,
        temperature=0.0,
        timeout=settings.llm_timeout_s,
        max_retries=0,
        http_client=_http_client(),
    )


def _http_client():
    """An httpx client whose connect time-out is CONNECT_TIMEOUT_S whatever the openai client asks for
    (it passes one float, llm_timeout_s, as every time-out of a request)."""
    import httpx

    class ConnectBound(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            timeout = dict(request.extensions.get("timeout") or {})
            timeout["connect"] = min(timeout.get("connect") or CONNECT_TIMEOUT_S, CONNECT_TIMEOUT_S)
            request.extensions["timeout"] = timeout
            return super().handle_request(request)

    return httpx.Client(transport=ConnectBound())


def _llamacpp(settings: Settings):
    """A local GGUF file through llama-cpp-python (optional extra)."""
    if importlib.util.find_spec("llama_index.llms.llama_cpp") is None:
        raise ConfigError(
            "provider llamacpp needs the optional extra: pip install 'assistant[llamacpp]' "
            "(llama-cpp-python compiles from source, ~10 minutes); or use ASSISTANT_LLM_PROVIDER=ollama"
        )
    path = Path(settings.llm_model).expanduser()
    if not path.is_file():
        raise ConfigError(f"ASSISTANT_LLM_MODEL must be a GGUF file for provider llamacpp; not found: {path}")
    from llama_index.llms.llama_cpp import LlamaCPP

    return LlamaCPP(
        model_path=str(path),
        temperature=0.0,
        max_new_tokens=MAX_OUTPUT_TOKENS,
        context_window=CONTEXT_WINDOW,
        verbose=False,
    )


def prepare(llm) -> None:
    """Import what the provider's client would import on its first request (the openai client loads its
    chat module then: about a second), so the first question does not wait for it."""
    if getattr(llm, "api_base", None):
        importlib.import_module("openai.resources.chat.completions")


def server_url(settings: Settings) -> str | None:
    """The server an LLM provider talks to; None for in-process models."""
    if settings.llm_provider == "ollama":
        return settings.llm_base_url or OLLAMA_URL
    if settings.llm_provider == "openai-like":
        return settings.llm_base_url or None
    return None


def check_reachable(settings: Settings) -> None:
    """Raise ModelUnavailable fast (< 2 s) when the configured LLM server does not answer."""
    url = server_url(settings)
    if url:
        probe(url, ollama=settings.llm_provider == "ollama")


def check_llm(llm) -> None:
    """Probe the server of an already built LLM (no-op for in-process or fake LLMs)."""
    ollama_url, openai_url = getattr(llm, "base_url", None), getattr(llm, "api_base", None)
    if isinstance(ollama_url, str) and ollama_url.startswith(("http://", "https://")):
        probe(ollama_url, ollama=True)
    elif isinstance(openai_url, str) and openai_url.startswith(("http://", "https://")):
        probe(openai_url, ollama=False)


def probe(url: str, *, ollama: bool) -> None:
    """One short HTTP request to the server, or ModelUnavailable naming the settings to fix.

    Ollama must answer `/api/version`; an OpenAI-compatible server may answer anything at `/models`
    (some require a key for it): a reply at all shows something is listening there.
    """
    import httpx

    target = url.rstrip("/") + ("/api/version" if ollama else "/models")
    try:
        response = httpx.get(target, timeout=httpx.Timeout(PROBE_TIMEOUT_S, connect=PROBE_TIMEOUT_S / 2))
    except httpx.HTTPError as e:
        reason = "timed out" if isinstance(e, httpx.TimeoutException) else _reason(e)
        raise ModelUnavailable(
            f"the LLM server at {url} is not reachable ({reason}): start it or {SETTINGS_HINT}"
        ) from e
    if ollama and response.status_code != 200:
        raise ModelUnavailable(
            f"no Ollama server answers at {url} (HTTP {response.status_code} for /api/version): {SETTINGS_HINT}"
        )


def _reason(e: Exception) -> str:
    """The innermost cause of a connection error, e.g. `Connection refused`."""
    while e.__cause__ is not None or e.__context__ is not None:
        e = e.__cause__ or e.__context__  # type: ignore[assignment]
    return getattr(e, "strerror", None) or str(e) or type(e).__name__


def _messages(system: str, user: str) -> list:
    from llama_index.core.llms import ChatMessage

    return [ChatMessage(role="system", content=system), ChatMessage(role="user", content=user)]


def chat(llm, system: str, user: str) -> str:
    """One chat turn (system + user); any failure becomes ModelUnavailable naming the setting to fix."""
    check_llm(llm)
    try:
        response = llm.chat(_messages(system, user))
    except Exception as e:  # providers raise httpx / openai / ollama errors of many kinds
        raise failure(llm, e) from e
    return _nonempty(llm, response.message.content or "")


def stream_chat(llm, system: str, user: str) -> Iterator[str]:
    """One chat turn streamed: the reply's text pieces as the server sends them. Failures (before or
    during the stream) become ModelUnavailable naming the setting to fix."""
    check_llm(llm)
    seen = False
    try:
        for chunk in llm.stream_chat(_messages(system, user)):
            if chunk.delta:
                seen = True
                yield chunk.delta
    except Exception as e:
        raise failure(llm, e) from e
    if not seen:
        _nonempty(llm, "")


def _nonempty(llm, text: str) -> str:
    if not text.strip():
        raise ModelUnavailable(
            f"the LLM at {_where(llm)} sent an empty reply: check ASSISTANT_LLM_MODEL and the server's log"
        )
    return text


def _where(llm) -> str:
    url = getattr(llm, "api_base", None) or getattr(llm, "base_url", None)
    return url if isinstance(url, str) and url else "the configured provider"


def failure(llm, e: Exception) -> ModelUnavailable:
    """The error a user can act on for an LLM request that failed: what happened, and the setting to fix."""
    import httpx

    where, model = _where(llm), getattr(llm, "model", "")
    status = getattr(e, "status_code", None)
    detail = _server_message(e)
    chain = _chain(e)
    if status == 401 or status == 403:
        return ModelUnavailable(
            f"the LLM server at {where} refused the API key (HTTP {status}{detail}): set ASSISTANT_LLM_API_KEY"
        )
    if status == 404:
        v1 = (
            " (and ASSISTANT_LLM_BASE_URL: OpenAI-compatible servers usually end in /v1)"
            if getattr(llm, "api_base", None)
            else ""
        )
        return ModelUnavailable(
            f"the LLM server at {where} has no model {model!r} (HTTP 404{detail}): check ASSISTANT_LLM_MODEL{v1}"
        )
    if isinstance(status, int):
        return ModelUnavailable(
            f"the LLM server at {where} failed (HTTP {status}{detail}): see the server's log; {SETTINGS_HINT} and ASSISTANT_LLM_MODEL"
        )
    if any(isinstance(x, httpx.TimeoutException) or type(x).__name__ == "APITimeoutError" for x in chain):
        timeout = getattr(llm, "timeout", None) or getattr(llm, "request_timeout", None)
        within = f" within {timeout:g} s" if isinstance(timeout, (int, float)) else ""
        return ModelUnavailable(
            f"the LLM server at {where} did not answer{within}: raise ASSISTANT_LLM_TIMEOUT_S for a slow model, or {SETTINGS_HINT}"
        )
    if any(isinstance(x, (httpx.ConnectError, ConnectionError)) for x in chain):
        return ModelUnavailable(
            f"the LLM server at {where} is not reachable ({_reason(e)}): start it or {SETTINGS_HINT}"
        )
    # a body that is not JSON (ValueError), JSON of another shape (the client then fails to read it)
    if any(
        isinstance(x, (ValueError, httpx.DecodingError, KeyError, IndexError, AttributeError, TypeError)) for x in chain
    ):
        kind = (
            "an OpenAI-compatible chat completion" if getattr(llm, "api_base", None) else "a chat reply of its provider"
        )
        return ModelUnavailable(
            f"the LLM server at {where} sent a reply that is not {kind} ({type(e).__name__}: {e}): {SETTINGS_HINT} (is it an LLM server?)"
        )
    return ModelUnavailable(
        f"the LLM failed to answer ({type(e).__name__}: {e}): {SETTINGS_HINT} and ASSISTANT_LLM_MODEL"
    )


def _chain(e: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    cur: BaseException | None = e
    while cur is not None and cur not in out:
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out


def _server_message(e: Exception) -> str:
    """`: <the server's own error message>` when its error body has one."""
    body = getattr(e, "body", None)
    msg = body.get("message") if isinstance(body, dict) else None
    if not msg and isinstance(body, dict) and isinstance(body.get("error"), dict):
        msg = body["error"].get("message")
    return f": {str(msg)[:200]}" if msg else ""
