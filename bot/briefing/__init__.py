"""Briefings: new articles grouped into stories, ranked, summarised with sources (no Discord here)."""

from bot.briefing.builder import BriefingBuilder
from bot.briefing.models import Briefing, Story, StoryCitation
from bot.briefing.render import render_embeds, render_text

__all__ = ["Briefing", "BriefingBuilder", "Story", "StoryCitation", "render_embeds", "render_text"]
