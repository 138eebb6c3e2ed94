"""A turn's replies become as few messages as the buttons allow."""

from __future__ import annotations

from bot.channels.base import Reply, combine


def test_an_answer_and_its_question_become_one_message_with_the_buttons() -> None:
    replies = [Reply("Care is free.", [], "en"),
               Reply("Next:\n1 Where\n2 Menu", [("Where", "1"), ("Menu", "2")], "en")]
    assert combine(replies) == [
        Reply("Care is free.\n\nNext:\n1 Where\n2 Menu", [("Where", "1"), ("Menu", "2")], "en")]


def test_runs_end_at_buttons_and_at_forget_and_trailing_text_is_kept() -> None:
    replies = [Reply("a", [], "fr"), Reply("b?", [("x", "1")], "fr"), Reply("c", [], "fr"),
               Reply("deleted", [], "fr", forget=True), Reply("d", [], "ar"), Reply("e", [], "ar")]
    assert combine(replies) == [Reply("a\n\nb?", [("x", "1")], "fr"),
                                Reply("c\n\ndeleted", [], "fr", forget=True),
                                Reply("d\n\ne", [], "ar")]


def test_nothing_to_send_stays_nothing_and_lone_buttons_survive() -> None:
    assert combine([]) == []
    assert combine([Reply("", [("x", "1")], "en")]) == [Reply("", [("x", "1")], "en")]
