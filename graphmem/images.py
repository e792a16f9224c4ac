"""Images in messages: described by the configured vision-capable model, then remembered as
text.

A message may carry OpenAI-style content parts, as mem0 takes them:

    {"role": "user", "content": [
        {"type": "text", "text": "This is my new flat"},
        {"type": "image_url", "image_url": {"url": "https://... or data:image/png;base64,..."}}]}

(or, as mem0 also takes it, one {"type": "image_url", ...} part as the whole content). Each
image is described by one call to the configured LLM (prompts/image_description.v1.md),
and the message becomes text: its own text, then "[image: <description>]" per image; that
text goes through extraction like any other. The message keeps a reference to each image
in `attachments` (stored with the Episode's messages): the URL (credentials masked), or
for a data URI "sha256:<digest>" of its bytes; the image itself is not stored. Facts
extracted from such an add carry the references too (`attachments`, and in search
results `provenance.attachments`).

Ollama takes images as bytes (a data URI), OpenAI-compatible servers also take URLs. A
model that cannot see images is an ImageError naming it: Ollama says so before the call
(its model capabilities), other servers by refusing the image.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from graphmem.errors import ImageError, LLMError
from graphmem.llm.base import LLM, Completion, ImagePart
from graphmem.prompts import load_prompt
from graphmem.urls import masked_url

MAX_IMAGES = 8  # per add
MAX_IMAGE_BYTES = 20_000_000
MAX_DESCRIPTION_CHARS = 4_000
_DATA_URI = re.compile(r"^data:(?P<type>image/[a-z0-9.+-]+);base64,(?P<data>.*)$", re.I | re.S)


def present(messages: Any) -> bool:
    """Whether any message holds content parts (images, or text split in parts)."""
    items = [messages] if isinstance(messages, Mapping) else messages
    if isinstance(items, str) or not isinstance(items, Sequence):
        return False
    return any(isinstance(m, Mapping) and not isinstance(m.get("content"), str) for m in items)


def describe(messages: Any, llm: Callable[[], LLM]) -> tuple[list[Any], list[Completion]]:
    """The messages with every image described into text and referenced in
    `attachments`, and the completions the descriptions took (one per image)."""
    items = [messages] if isinstance(messages, Mapping) else list(messages)
    images = [_images(m, i) for i, m in enumerate(items)]
    if sum(len(found) for found in images) > MAX_IMAGES:
        raise ImageError(f"more than {MAX_IMAGES} images in one add")
    if not any(images):
        return [_text_only(m) for m in items], []
    model = llm()
    if model.sees_images() is False:
        raise ImageError(
            f"the configured model {model.model!r} cannot see images (its server lists no "
            "vision capability): set llm_model to a vision model (e.g. qwen2.5vl, llava, "
            "gpt-4o-mini), or send the messages without images"
        )
    completions: list[Completion] = []
    described = []
    for message, found in zip(items, images, strict=True):
        if not found:
            described.append(_text_only(message))
            continue
        lines, attachments = [_text(message)] if _text(message) else [], []
        for image in found:
            completion = _describe_one(model, image, _text(message))
            completions.append(completion)
            text = " ".join(completion.text.split())[:MAX_DESCRIPTION_CHARS]
            lines.append(f"[image: {text}]")
            attachments.append({"type": "image", "ref": reference(image), "description": text})
        described.append(
            {**_rest(message), "content": "\n".join(lines), "attachments": attachments}
        )
    return described, completions


def with_usage(result: dict[str, Any], completions: Sequence[Completion]) -> dict[str, Any]:
    """An add's result with the description calls counted in its usage."""
    if completions:
        usage = result["usage"]
        usage["llm_calls"] += len(completions)
        usage["prompt_tokens"] += sum(c.prompt_tokens for c in completions)
        usage["completion_tokens"] += sum(c.completion_tokens for c in completions)
    return result


def reference(image: ImagePart) -> str:
    """What is kept of an image: its URL (credentials masked) or the digest of its bytes."""
    data = image.base64_data
    if data is None:
        return masked_url(image.url)
    return "sha256:" + hashlib.sha256(base64.b64decode(data)).hexdigest()


def _describe_one(model: LLM, image: ImagePart, said: str) -> Completion:
    context = f'The user wrote with it: "{said}"' if said else "The user sent it without text."
    prompt = load_prompt("image_description").render()
    try:
        return model.complete(
            [
                {"role": "system", "content": prompt},
                {"role": "user", "content": context, "images": [image]},
            ]
        )
    except LLMError as exc:
        if "image" in str(exc).lower() or "vision" in str(exc).lower():
            raise ImageError(
                f"the configured model {model.model!r} refused the image ({exc}): set "
                "llm_model to a vision-capable model, or send the messages without images"
            ) from exc
        raise


def _images(message: Any, index: int) -> list[ImagePart]:
    content = message.get("content") if isinstance(message, Mapping) else None
    if content is None or isinstance(content, str):
        return []
    parts = [content] if isinstance(content, Mapping) else content
    if not isinstance(parts, Sequence):
        raise ImageError(f"message {index}: content must be text or a list of parts")
    found = []
    for part in parts:
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind == "image_url":
            found.append(_image(part.get("image_url"), index))
        elif kind != "text":
            raise ImageError(
                f"message {index}: a content part must be {{'type': 'text', 'text': ...}} or "
                "{'type': 'image_url', 'image_url': {'url': ...}}"
            )
    return found


def _image(spec: Any, index: int) -> ImagePart:
    spec = {"url": spec} if isinstance(spec, str) else spec
    url = spec.get("url") if isinstance(spec, Mapping) else None
    if not isinstance(url, str) or not url:
        raise ImageError(f"message {index}: an image_url part needs a url")
    if url.startswith("data:"):
        match = _DATA_URI.match(url)
        if match is None:
            raise ImageError(
                f"message {index}: a data URI image must be data:image/<type>;base64,<data>"
            )
        try:
            size = len(base64.b64decode(match["data"], validate=True))
        except (binascii.Error, ValueError):
            raise ImageError(f"message {index}: the image's base64 data is not valid") from None
        if size > MAX_IMAGE_BYTES:
            raise ImageError(f"message {index}: an image is larger than {MAX_IMAGE_BYTES} bytes")
    elif not re.match(r"^https?://", url, re.I):
        raise ImageError(f"message {index}: an image URL must be http(s) or a data URI")
    detail = spec.get("detail")
    return ImagePart(url, detail if isinstance(detail, str) else None)


def _text(message: Any) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    parts = [content] if isinstance(content, Mapping) else content
    texts = [p.get("text") for p in parts if isinstance(p, Mapping) and p.get("type") == "text"]
    return "\n".join(t for t in texts if isinstance(t, str) and t.strip())


def _text_only(message: Any) -> Any:
    """A message whose parts are all text, as one text."""
    if not isinstance(message, Mapping) or isinstance(message.get("content"), str):
        return message
    return {**_rest(message), "content": _text(message)}


def _rest(message: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k != "content"}
