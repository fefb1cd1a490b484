"""Block Kit limit checks and a plain-text renderer for transcripts."""

from __future__ import annotations

from typing import Any, Literal

Surface = Literal["message", "modal", "home"]

MAX_BLOCKS: dict[str, int] = {"message": 50, "modal": 100, "home": 100}
SELECT_TYPES = {"static_select", "multi_static_select", "radio_buttons", "checkboxes", "overflow"}


def _text_of(obj: Any) -> str:
    """The text of a text object (or a plain string)."""
    if isinstance(obj, dict):
        value = obj.get("text", "")
        return value if isinstance(value, str) else ""
    if isinstance(obj, str):
        return obj
    return ""


def _options_of(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = [o for o in element.get("options") or [] if isinstance(o, dict)]
    for group in element.get("option_groups") or []:
        if isinstance(group, dict):
            options.extend(o for o in group.get("options") or [] if isinstance(o, dict))
    return options


def _check_element(element: Any, where: str, action_ids: set[str], problems: list[str]) -> None:
    if not isinstance(element, dict):
        problems.append(f"{where}: element must be an object")
        return
    etype = element.get("type")
    if not isinstance(etype, str) or not etype:
        problems.append(f"{where}: element has no type")
        return
    where = f"{where} ({etype})"
    action_id = element.get("action_id")
    if action_id is not None:
        if not isinstance(action_id, str) or not action_id:
            problems.append(f"{where}: action_id must be a non-empty string")
        elif len(action_id) > 255:
            problems.append(f"{where}: action_id longer than 255 characters")
        elif action_id in action_ids:
            problems.append(f"{where}: duplicate action_id {action_id!r} in the block")
        else:
            action_ids.add(action_id)
    if etype == "button":
        text = _text_of(element.get("text"))
        if not text:
            problems.append(f"{where}: button needs text")
        if len(text) > 75:
            problems.append(f"{where}: button text longer than 75 characters")
        value = element.get("value")
        if isinstance(value, str) and len(value) > 2000:
            problems.append(f"{where}: button value longer than 2000 characters")
    if etype == "plain_text_input":
        max_length = element.get("max_length")
        if max_length is not None and (not isinstance(max_length, int) or not 1 <= max_length <= 3000):
            problems.append(f"{where}: plain_text_input max_length must be 1..3000")
        initial = element.get("initial_value")
        if isinstance(initial, str) and len(initial) > 3000:
            problems.append(f"{where}: initial_value longer than 3000 characters")
    if etype == "file_input":
        max_files = element.get("max_files", 10)
        if not isinstance(max_files, int) or not 1 <= max_files <= 10:
            problems.append(f"{where}: file_input max_files must be 1..10")
        filetypes = element.get("filetypes", [])
        if not isinstance(filetypes, list) or not all(isinstance(t, str) and t for t in filetypes):
            problems.append(f"{where}: file_input filetypes must be an array of file extensions")
    if etype in SELECT_TYPES or "options" in element or "option_groups" in element:
        options = _options_of(element)
        limit = {"overflow": 5, "radio_buttons": 10, "checkboxes": 10}.get(etype, 100)
        if len(options) > limit:
            problems.append(f"{where}: more than {limit} options ({len(options)})")
        if etype in SELECT_TYPES and not options and "option_groups" not in element:
            problems.append(f"{where}: needs options")
        for option in options:
            text = _text_of(option.get("text"))
            if len(text) > 75:
                problems.append(f"{where}: option text longer than 75 characters: {text[:30]!r}...")
            value = option.get("value")
            if value is not None and (not isinstance(value, str) or len(value) > 150):
                problems.append(f"{where}: option value must be a string of at most 150 characters")


def check_blocks(blocks: Any, surface: Surface = "message") -> list[str]:
    """Return the Block Kit limit violations of a list of blocks on a surface."""
    problems: list[str] = []
    if not isinstance(blocks, list):
        return ["blocks must be an array"]
    limit = MAX_BLOCKS[surface]
    if len(blocks) > limit:
        problems.append(f"too many blocks: {len(blocks)} (a {surface} allows {limit})")
    block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"blocks[{index}]"
        if not isinstance(block, dict):
            problems.append(f"{where}: block must be an object")
            continue
        btype = block.get("type")
        if not isinstance(btype, str) or not btype:
            problems.append(f"{where}: block has no type")
            continue
        where = f"{where} ({btype})"
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or not block_id:
                problems.append(f"{where}: block_id must be a non-empty string")
            elif len(block_id) > 255:
                problems.append(f"{where}: block_id longer than 255 characters")
            elif block_id in block_ids:
                problems.append(f"{where}: duplicate block_id {block_id!r}")
            else:
                block_ids.add(block_id)
        action_ids: set[str] = set()
        if btype == "section":
            text = block.get("text")
            fields = block.get("fields")
            if text is None and not fields:
                problems.append(f"{where}: section needs text or fields")
            if len(_text_of(text)) > 3000:
                problems.append(f"{where}: section text longer than 3000 characters")
            if text is not None and not _text_of(text):
                problems.append(f"{where}: section text must not be empty")
            if fields is not None:
                if not isinstance(fields, list):
                    problems.append(f"{where}: fields must be an array")
                else:
                    if len(fields) > 10:
                        problems.append(f"{where}: more than 10 fields ({len(fields)})")
                    for field in fields:
                        if len(_text_of(field)) > 2000:
                            problems.append(f"{where}: a field is longer than 2000 characters")
            if "accessory" in block:
                _check_element(block["accessory"], f"{where} accessory", action_ids, problems)
        elif btype == "header":
            text = _text_of(block.get("text"))
            if not text:
                problems.append(f"{where}: header needs text")
            if len(text) > 150:
                problems.append(f"{where}: header text longer than 150 characters")
            if isinstance(block.get("text"), dict) and block["text"].get("type") != "plain_text":
                problems.append(f"{where}: header text must be plain_text")
        elif btype == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                problems.append(f"{where}: actions block needs elements")
            else:
                if len(elements) > 25:
                    problems.append(f"{where}: more than 25 elements ({len(elements)})")
                for i, element in enumerate(elements):
                    _check_element(element, f"{where} elements[{i}]", action_ids, problems)
        elif btype == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                problems.append(f"{where}: context block needs elements")
            elif len(elements) > 10:
                problems.append(f"{where}: more than 10 elements ({len(elements)})")
        elif btype == "input":
            label = _text_of(block.get("label"))
            if not label:
                problems.append(f"{where}: input needs a label")
            if len(label) > 2000:
                problems.append(f"{where}: input label longer than 2000 characters")
            element = block.get("element")
            if isinstance(element, dict) and element.get("type") == "file_input":
                if surface != "modal":
                    problems.append(f"{where}: a file_input works only in modals")
                _check_element(element, f"{where} element", set(), problems)
            hint = _text_of(block.get("hint"))
            if len(hint) > 2000:
                problems.append(f"{where}: input hint longer than 2000 characters")
            if "element" not in block:
                problems.append(f"{where}: input needs an element")
            else:
                _check_element(block["element"], f"{where} element", action_ids, problems)
        elif btype == "image":
            if not block.get("alt_text"):
                problems.append(f"{where}: image needs alt_text")
            if not block.get("image_url") and not block.get("slack_file"):
                problems.append(f"{where}: image needs image_url or slack_file")
    return problems


def check_view(view: Any) -> list[str]:
    """Return the violations of a modal or Home tab view."""
    if not isinstance(view, dict):
        return ["view must be an object"]
    problems: list[str] = []
    vtype = view.get("type")
    if vtype not in ("modal", "home"):
        problems.append(f"view type must be modal or home, not {vtype!r}")
        return problems
    for key in ("title", "submit", "close"):
        if key in view and view[key] is not None:
            text = _text_of(view[key])
            if not text:
                problems.append(f"{key} must have text")
            if len(text) > 24:
                problems.append(f"{key} text longer than 24 characters: {text!r}")
            if isinstance(view[key], dict) and view[key].get("type") != "plain_text":
                problems.append(f"{key} must be plain_text")
    if vtype == "modal" and not view.get("title"):
        problems.append("a modal needs a title")
    metadata = view.get("private_metadata")
    if metadata is not None and (not isinstance(metadata, str) or len(metadata) > 3000):
        problems.append("private_metadata must be a string of at most 3000 characters")
    callback_id = view.get("callback_id")
    if callback_id is not None and (not isinstance(callback_id, str) or len(callback_id) > 255):
        problems.append("callback_id must be a string of at most 255 characters")
    external_id = view.get("external_id")
    if external_id is not None and (not isinstance(external_id, str) or len(external_id) > 255):
        problems.append("external_id must be a string of at most 255 characters")
    blocks = view.get("blocks")
    if blocks is None:
        problems.append("view needs blocks")
        return problems
    problems.extend(check_blocks(blocks, "modal" if vtype == "modal" else "home"))
    has_input = isinstance(blocks, list) and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
    if vtype == "modal" and has_input and not view.get("submit"):
        problems.append("a modal with input blocks needs a submit button")
    return problems


# --------------------------------------------------------------------------- rendering


def _render_element(element: dict[str, Any]) -> str:
    etype = element.get("type", "?")
    if etype == "button":
        return f"[{_text_of(element.get('text'))}]"
    if etype == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if etype in ("mrkdwn", "plain_text"):
        return _text_of(element)
    options = _options_of(element)
    names = ", ".join(_text_of(o.get("text")) for o in options)
    placeholder = _text_of(element.get("placeholder"))
    label = placeholder or etype
    return f"<{label}: {names}>" if names else f"<{label}>"


def _initial_of(element: dict[str, Any]) -> str:
    if "initial_value" in element and isinstance(element["initial_value"], str):
        return element["initial_value"]
    if isinstance(element.get("initial_option"), dict):
        return _text_of(element["initial_option"].get("text"))
    if isinstance(element.get("initial_options"), list):
        return ", ".join(_text_of(o.get("text")) for o in element["initial_options"] if isinstance(o, dict))
    for key in ("initial_date", "initial_time", "initial_user", "initial_conversation", "initial_channel"):
        if element.get(key):
            return str(element[key])
    for key in ("initial_users", "initial_conversations", "initial_channels"):
        if element.get(key):
            return ", ".join(str(v) for v in element[key])
    return ""


MAX_OPTIONS_SHOWN = 6  # transcripts are for people to read: long option lists are cut


def _render_input(block: dict[str, Any]) -> str:
    element = block.get("element") if isinstance(block.get("element"), dict) else {}
    assert isinstance(element, dict)
    kind = str(element.get("type", "?"))
    options = _options_of(element)
    detail = kind
    if options:
        shown = ", ".join(_text_of(o.get("text")) for o in options[:MAX_OPTIONS_SHOWN])
        more = len(options) - MAX_OPTIONS_SHOWN
        detail += ": " + shown + (f", … {more} more" if more > 0 else "")
    line = f"[{_text_of(block.get('label'))}] ({detail})"
    if block.get("optional"):
        line += " optional"
    initial = _initial_of(element)
    if initial:
        line += f" {initial}"
    return line


def render_blocks(blocks: Any) -> str:
    """Turn Block Kit blocks into readable plain text."""
    if not isinstance(blocks, list):
        return ""
    lines: list[str] = []
    for block in blocks:
        if not isinstance(block, dict):
            continue
        btype = block.get("type")
        if btype == "header":
            lines.append(f"== {_text_of(block.get('text'))} ==")
        elif btype == "section":
            if block.get("text"):
                lines.append(_text_of(block.get("text")))
            for field in block.get("fields") or []:
                lines.append(f"  {_text_of(field)}")
            accessory = block.get("accessory")
            if isinstance(accessory, dict):
                lines.append(f"  {_render_element(accessory)}")
        elif btype == "context":
            parts = [_render_element(e) for e in block.get("elements") or [] if isinstance(e, dict)]
            lines.append("  ".join(p for p in parts if p))
        elif btype == "divider":
            lines.append("---")
        elif btype == "input":
            lines.append(_render_input(block))
        elif btype == "actions":
            parts = [_render_element(e) for e in block.get("elements") or [] if isinstance(e, dict)]
            lines.append(" ".join(parts))
        elif btype == "image":
            title = _text_of(block.get("title"))
            alt = block.get("alt_text", "")
            lines.append(f"[image: {alt}]" + (f" {title}" if title else ""))
        elif btype == "file":
            lines.append("[file]")
        elif btype == "rich_text":
            lines.append(_render_rich_text(block))
        else:
            lines.append(f"[{btype}]")
    return "\n".join(lines)


def _render_rich_text(node: Any) -> str:
    if isinstance(node, dict):
        if node.get("type") == "text":
            return str(node.get("text", ""))
        if node.get("type") == "link":
            return str(node.get("text") or node.get("url", ""))
        if node.get("type") == "user":
            return f"<@{node.get('user_id', '')}>"
        return "".join(_render_rich_text(e) for e in node.get("elements") or [])
    return ""


def render_view(view: Any) -> str:
    """Turn a modal or Home view into readable plain text."""
    if not isinstance(view, dict):
        return ""
    lines: list[str] = []
    body = render_blocks(view.get("blocks"))
    if body:
        lines.append(body)
    buttons = [f"[{_text_of(view[k])}]" for k in ("close", "submit") if isinstance(view.get(k), dict)]
    if buttons:
        lines.append(" ".join(buttons))
    return "\n".join(lines)
