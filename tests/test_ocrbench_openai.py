"""The OpenAI-compatible vision endpoint engine against a local HTTP server started here (``http.server`` in a
thread): the request it sends, the answers it accepts, retries and the checks before a run."""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image

from pipelines.ocr.openai_engine import OpenAiEngine, strip_fence
from pipelines.ocr.pages import EngineError, EngineUnavailable, OcrPage


@pytest.fixture
def page(shared_data: Path) -> OcrPage:
    """A real page image (1850 x 2621, bilevel)."""
    folder = shared_data / "ocr_images" / "en_oldbooks" / "a"
    return OcrPage("en_oldbooks/a/a006", folder / "a006.png", language="eng")


class FakeVisionServer(ThreadingHTTPServer):
    """An OpenAI-compatible endpoint serving one model; ``mode`` picks the answer, ``requests`` keeps what came."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), VisionHandler)
        self.mode = "ok"
        self.requests: list[dict] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}/v1"


class VisionHandler(BaseHTTPRequestHandler):
    server: FakeVisionServer

    def log_message(self, *args):  # keep pytest output quiet
        pass

    def answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path != "/v1/models":
            return self.answer(404, b'{"error": "not found"}')
        self.answer(200, json.dumps({"object": "list", "data": [{"id": "olmocr", "max_model_len": 8192}]}).encode())

    def do_POST(self):
        if self.path != "/v1/chat/completions":
            return self.answer(404, b'{"error": "not found"}')
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"body": body, "auth": self.headers.get("Authorization")})
        mode = self.server.mode
        if mode == "500":
            return self.answer(500, b'{"error": "out of memory"}')
        if mode == "slow":
            time.sleep(1.5)
        if mode == "badjson":
            return self.answer(200, b'{"choices": [')
        text = "```text\nThe known text\nof the page\n```" if mode == "fence" else "The known text"
        finish = "length" if mode == "length" else "stop"
        choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}
        self.answer(200, json.dumps({"choices": [choice]}).encode())


@pytest.fixture
def vision_server():
    server = FakeVisionServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_openai_engine_sends_a_downscaled_png_and_returns_the_text(vision_server, page, monkeypatch):
    monkeypatch.setenv("FINEBOOKS_TEST_KEY", "secret-123")
    engine = OpenAiEngine(
        url=vision_server.url + "/", model="olmocr", api_key_env="FINEBOOKS_TEST_KEY", max_image_side=800
    )
    engine.check()
    assert engine.recognize(page) == "The known text"
    assert engine.last_notes == []
    request = vision_server.requests[-1]
    assert request["auth"] == "Bearer secret-123"
    body = request["body"]
    assert body["model"] == "olmocr" and body["max_tokens"] == 4096 and body["temperature"] == 0.0
    text, image = body["messages"][0]["content"]
    assert text == {"type": "text", "text": engine.prompt}
    prefix, _, data = image["image_url"]["url"].partition(",")
    assert prefix == "data:image/png;base64"
    sent = Image.open(io.BytesIO(base64.b64decode(data)))
    assert sent.format == "PNG" and max(sent.size) <= 800
    with Image.open(page.image) as original:
        assert abs(sent.width / sent.height - original.width / original.height) < 0.01
    info = engine.describe()
    assert info["served"]["max_model_len"] == 8192 and len(info["prompt_sha256"]) == 64
    assert "secret-123" not in json.dumps(info)


def test_openai_engine_strips_a_fence_and_notes_a_truncated_answer(vision_server, page):
    engine = OpenAiEngine(url=vision_server.url, model="olmocr")
    vision_server.mode = "fence"
    assert engine.recognize(page) == "The known text\nof the page"
    vision_server.mode = "length"
    assert engine.recognize(page) == "The known text"
    assert engine.last_notes == ["truncated: the answer reached max_tokens=4096"]
    assert strip_fence("a ``` inside") == "a ``` inside"


def test_openai_engine_retries_server_errors_then_fails(vision_server, page):
    vision_server.mode = "500"
    engine = OpenAiEngine(url=vision_server.url, model="olmocr", retries=2, retry_wait_s=0.01, max_image_side=200)
    with pytest.raises(EngineError, match="HTTP 500.*out of memory.*after 3 attempts"):
        engine.recognize(page)
    assert len(vision_server.requests) == 3
    vision_server.mode = "badjson"
    with pytest.raises(EngineError, match="malformed JSON"):
        engine.recognize(page)
    assert len(vision_server.requests) == 4  # a bad answer is not retried


def test_openai_engine_check_names_what_is_missing(vision_server, monkeypatch):
    with pytest.raises(EngineUnavailable, match="'other' is not served.*served: olmocr"):
        OpenAiEngine(url=vision_server.url, model="other").check()
    monkeypatch.delenv("FINEBOOKS_NO_KEY", raising=False)
    with pytest.raises(EngineUnavailable, match="FINEBOOKS_NO_KEY"):
        OpenAiEngine(url=vision_server.url, model="olmocr", api_key_env="FINEBOOKS_NO_KEY").check()
    closed = OpenAiEngine(url="http://127.0.0.1:9/v1", model="olmocr", retries=0)
    with pytest.raises(EngineUnavailable, match="does not answer"):
        closed.check()


def test_openai_engine_timeout_fails_the_page_without_retrying(vision_server, page):
    vision_server.mode = "slow"
    engine = OpenAiEngine(url=vision_server.url, model="olmocr", timeout_s=0.3, retry_wait_s=0.01, max_image_side=200)
    with pytest.raises(EngineError, match="timed out after 0.3 s"):
        engine.recognize(page)
    assert len(vision_server.requests) == 1
