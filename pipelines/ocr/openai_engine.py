"""An OpenAI-compatible chat-completions vision endpoint as an OCR engine (as vLLM serves olmOCR-style models).

Only the standard library speaks HTTP (urllib); Pillow prepares the image (downscaled, PNG, base64 data URL).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import io
import json
import os
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

from PIL import Image

from filters.plugins import PluginError
from pipelines.ocr.engines import OcrEngine, require_positive, text_tail
from pipelines.ocr.pages import EngineError, EngineUnavailable, OcrPage

DEFAULT_PROMPT = (
    "Transcribe all the text on this page image exactly as it is printed, in reading order, line by line. "
    "Keep the original spelling, punctuation, capitalisation and special characters (long s, ligatures, accents). "
    "Do not translate, correct or modernise anything. Output only the transcription, without commentary or markup."
)
_FENCE = re.compile(r"\A\s*```[\w-]*[ \t]*\n(?P<body>.*?)\n?```\s*\Z", re.DOTALL)


class _Retryable(Exception):
    """A connection error or a 5xx answer: worth another attempt."""


class OpenAiEngine(OcrEngine):
    """A vision model behind ``{url}/chat/completions`` (``url``: the base URL, ending in ``/v1``).

    The page image is downscaled so its longest side is at most ``max_image_side`` pixels (None: as scanned) and sent
    as a PNG data URL after ``prompt``. ``api_key_env`` names the environment variable holding the key (never the key
    itself in a config). Connection errors and 5xx answers are retried ``retries`` times, ``retry_wait_s`` doubling
    between attempts; a timeout (``timeout_s``) or any other HTTP error fails the page at once. A ``` fence around
    the whole answer is stripped; an answer cut off at ``max_tokens`` (finish_reason "length") is returned and noted
    in ``last_notes``.
    """

    def __init__(
        self,
        url: str,
        model: str,
        prompt: str = DEFAULT_PROMPT,
        api_key_env: str | None = None,
        max_tokens: int = 4096,
        temperature: float = 0.0,
        max_image_side: int | None = 1600,
        timeout_s: float = 300,
        retries: int = 2,
        retry_wait_s: float = 2.0,
    ):
        super().__init__()
        if not url.startswith(("http://", "https://")):
            raise PluginError(f"openai engine parameter 'url' must be an http(s) URL (got {url!r})", "url")
        if retries < 0:
            raise PluginError(f"openai engine parameter 'retries' must be >= 0 (got {retries})", "retries")
        if max_image_side is not None:
            require_positive(max_image_side, "max_image_side")
        require_positive(max_tokens, "max_tokens")
        require_positive(timeout_s, "timeout_s")
        self.url = url.rstrip("/")
        self.model = model
        self.prompt = prompt
        self.api_key_env = api_key_env
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.max_image_side = max_image_side
        self.timeout_s = timeout_s
        self.retries = retries
        self.retry_wait_s = retry_wait_s
        self.served: dict = {}  # the model's entry in {url}/models, as check() found it

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key_env:
            key = os.environ.get(self.api_key_env)
            if not key:
                raise EngineError(f"environment variable {self.api_key_env} (api_key_env) is not set")
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _once(self, method: str, path: str, body: dict | None) -> bytes:
        """One request; its body on HTTP 200. ``_Retryable`` on a connection error or 5xx, ``EngineError`` else."""
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, headers=self._headers(), method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                return response.read()
        except urllib.error.HTTPError as e:
            message = f"HTTP {e.code} from {method} {self.url}{path}: {text_tail(e.read())}"
            raise (_Retryable if e.code >= 500 else EngineError)(message) from None
        except (OSError, http.client.HTTPException) as e:  # URLError, refused, reset, timeout, truncated answer
            if isinstance(e, TimeoutError) or isinstance(getattr(e, "reason", None), TimeoutError):
                raise EngineError(f"{method} {self.url}{path} timed out after {self.timeout_s:g} s") from None
            raise _Retryable(f"{method} {self.url}{path} failed: {getattr(e, 'reason', None) or e!r}") from None

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        """A JSON request with retries; the decoded answer. ``EngineError`` when it fails or is not JSON."""
        for attempt in range(self.retries + 1):
            try:
                raw = self._once(method, path, body)
                break
            except _Retryable as e:
                if attempt == self.retries:
                    raise EngineError(f"{e} (after {attempt + 1} attempts)") from None
                time.sleep(self.retry_wait_s * 2**attempt)
        try:
            answer = json.loads(raw)
        except ValueError:
            raise EngineError(f"malformed JSON from {self.url}{path}: {text_tail(raw, 200)!r}") from None
        if not isinstance(answer, dict):
            raise EngineError(f"answer of {self.url}{path} is not a JSON object: {text_tail(raw, 200)!r}")
        return answer

    def check(self) -> None:
        if self.api_key_env and not os.environ.get(self.api_key_env):
            raise EngineUnavailable(f"environment variable {self.api_key_env} (api_key_env) is not set")
        try:
            listing = self.request("GET", "/models")
        except EngineError as e:
            raise EngineUnavailable(
                f"OCR endpoint {self.url} does not answer: {e} (url: the base URL, ending in /v1)"
            ) from None
        models = {m.get("id"): m for m in listing.get("data") or [] if isinstance(m, dict)}
        if self.model not in models:
            served = ", ".join(str(m) for m in models) or "none"
            raise EngineUnavailable(f"model {self.model!r} is not served by {self.url} (served: {served})")
        self.served = models[self.model]

    def describe(self) -> dict:
        return {
            **super().describe(),
            "url": self.url,
            "model": self.model,
            "served": {k: v for k, v in self.served.items() if k in ("id", "root", "owned_by", "max_model_len")},
            "prompt_sha256": hashlib.sha256(self.prompt.encode("utf-8")).hexdigest(),
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "max_image_side": self.max_image_side,
        }

    def recognize(self, page: OcrPage) -> str:
        self.last_notes = []
        image_url = "data:image/png;base64," + base64.b64encode(png_bytes(page.image, self.max_image_side)).decode()
        content = [{"type": "text", "text": self.prompt}, {"type": "image_url", "image_url": {"url": image_url}}]
        body = {
            "model": self.model,
            "messages": [{"role": "user", "content": content}],
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
        }
        answer = self.request("POST", "/chat/completions", body)
        try:
            choice = answer["choices"][0]
            text = choice["message"]["content"]
        except (KeyError, IndexError, TypeError):
            excerpt = text_tail(json.dumps(answer), 200)
            raise EngineError(f"answer has no choices[0].message.content: {excerpt}") from None
        if not isinstance(text, str):
            raise EngineError(f"answer content is {type(text).__name__}, not text")
        if choice.get("finish_reason") == "length":
            self.last_notes.append(f"truncated: the answer reached max_tokens={self.max_tokens}")
        return strip_fence(text)


def strip_fence(text: str) -> str:
    """The text inside a ```...``` fence that wraps the whole answer (some models add one); else the text."""
    match = _FENCE.match(text)
    return match["body"] if match else text


def png_bytes(path: str | Path, max_side: int | None) -> bytes:
    """The image as PNG, downscaled (aspect kept) so its longest side is at most ``max_side``; ``EngineError`` when
    it cannot be read."""
    try:
        with Image.open(path) as image:
            image.load()
            if image.mode == "1":  # bilevel scans: grey levels make a smoother downscale
                image = image.convert("L")
            elif image.mode not in ("L", "LA", "RGB", "RGBA"):
                image = image.convert("RGB")
            if max_side and max(image.size) > max_side:
                image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        raise EngineError(f"cannot read image {path}: {e}") from None
    return buffer.getvalue()
