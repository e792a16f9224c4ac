"""Images in messages: described by the configured vision-capable model (through the
scripted server, both APIs), remembered as text, referenced on the Episode, the facts and
in search provenance; a clear error when the model cannot see images."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator

import pytest

from graphmem.config import Settings
from graphmem.embed.local import LocalEmbedder
from graphmem.errors import ImageError
from graphmem.memory import Memory
from graphmem.store import changes
from tests.fact_llm import Fact, extraction
from tests.scripted_llm import ScriptedError, ScriptedLLMServer

# A 1x1 transparent PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
DATA_URI = "data:image/png;base64," + base64.b64encode(PNG).decode()
DESCRIPTION = "A red bicycle leaning on a canal railing in Utrecht."
BIKE = Fact(
    "User owns a red bicycle",
    [("User", "Person"), ("red bicycle", "Object")],
    [("User", "OWNS", "red bicycle")],
)


def photo_message(url: str) -> dict[str, object]:
    return {
        "role": "user",
        "content": [
            {"type": "text", "text": "This is my new bike!"},
            {"type": "image_url", "image_url": {"url": url}},
        ],
    }


@pytest.fixture
def vision_memory(
    settings: Settings, embedder: LocalEmbedder, scripted_llm: ScriptedLLMServer
) -> Iterator[Memory]:
    scripted_llm.vision_models = {"llava"}
    update = {"llm_base_url": scripted_llm.url, "llm_model": "llava"}
    with Memory(settings.model_copy(update=update), embedder=embedder) as memory:
        yield memory


def test_an_image_is_described_then_extracted_and_referenced(
    vision_memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str
) -> None:
    scripted_llm.script([DESCRIPTION, json.dumps(extraction([BIKE]))])
    result = vision_memory.add([photo_message(DATA_URI)], user_id=user_id)

    describe, extract = scripted_llm.chat_requests
    sent = describe.messages[-1]
    assert sent["images"] == [base64.b64encode(PNG).decode()]  # Ollama takes bytes
    assert "This is my new bike!" in sent["content"]
    assert DESCRIPTION in extract.prompt_text and "[image:" in extract.prompt_text
    assert result["usage"]["llm_calls"] == 2
    (event,) = result["results"]
    assert event["event"] == "ADD" and event["memory"] == "User owns a red bicycle"

    ref = "sha256:" + hashlib.sha256(PNG).hexdigest()
    episode = changes.episode(vision_memory.store, result["episode_id"])
    assert episode is not None
    (message,) = json.loads(episode["messages"])
    assert message["attachments"] == [{"type": "image", "ref": ref, "description": DESCRIPTION}]
    assert DATA_URI not in episode["messages"]  # a reference, not the image
    stored = vision_memory.get(event["id"])
    assert stored is not None and stored["attachments"] == [ref]
    found = vision_memory.search("What bike do I have?", user_id=user_id)
    assert found["results"][0]["provenance"]["attachments"] == [ref]


def test_a_model_that_cannot_see_is_refused_before_anything_is_sent(
    settings: Settings,
    embedder: LocalEmbedder,
    scripted_llm: ScriptedLLMServer,
    user_id: str,
) -> None:
    update = {"llm_base_url": scripted_llm.url}  # qwen2.5:7b: no vision capability
    with Memory(settings.model_copy(update=update), embedder=embedder) as memory:
        with pytest.raises(ImageError, match=r"cannot see images.*vision model"):
            memory.add([photo_message(DATA_URI)], user_id=user_id)
        assert scripted_llm.chat_requests == []
        assert memory.get_all(user_id=user_id)["results"] == []


def test_ollama_needs_image_bytes_not_a_url(
    vision_memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str
) -> None:
    with pytest.raises(ImageError, match="data URI"):
        vision_memory.add([photo_message("https://example.org/bike.png")], user_id=user_id)
    assert scripted_llm.chat_requests == []


def test_openai_compatible_servers_take_the_url_and_their_refusal_is_clear(
    settings: Settings,
    embedder: LocalEmbedder,
    scripted_llm: ScriptedLLMServer,
    user_id: str,
) -> None:
    update = {
        "llm_provider": "openai",
        "llm_base_url": scripted_llm.openai_base_url,
        "llm_model": "gpt-4o-mini",
        "llm_max_retries": 0,
    }
    url = "https://example.org/bike.png"
    with Memory(settings.model_copy(update=update), embedder=embedder) as memory:
        scripted_llm.script([DESCRIPTION, json.dumps(extraction([BIKE]))])
        result = memory.add([photo_message(url)], user_id=user_id)
        parts = scripted_llm.chat_requests[0].messages[-1]["content"]
        assert parts[1] == {"type": "image_url", "image_url": {"url": url}}
        assert memory.get(result["results"][0]["id"])["attachments"] == [url]

        refusal = "Invalid content type. image_url is only supported by certain models."
        scripted_llm.script([ScriptedError(400, refusal)])
        with pytest.raises(ImageError, match="refused the image"):
            memory.add([photo_message(url)], user_id=user_id)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("data:image/png;base64,@@@", "not valid"),
        ("data:text/plain;base64,aGk=", "data:image"),
        ("file:///etc/passwd", "http"),
    ],
)
def test_malformed_images_are_refused(
    vision_memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str, url: str, why: str
) -> None:
    with pytest.raises(ImageError, match=why):
        vision_memory.add([photo_message(url)], user_id=user_id)
    assert scripted_llm.chat_requests == []
