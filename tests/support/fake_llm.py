"""An LLM in this process: a real llama-index `CustomLLM` that answers from the numbered sources of its
prompt, honestly (copying source 1's first sentence with its marker) or in one of the ways models go wrong."""

from __future__ import annotations

import re
from typing import Any

from llama_index.core.base.llms.types import CompletionResponse, CompletionResponseGen, LLMMetadata
from llama_index.core.llms import CustomLLM
from pydantic import Field


class FakeLLM(CustomLLM):
    """Answers from the numbered sources in its prompt, honestly or in one of several bad ways."""

    mode: str = "copy"  # copy | bad_marker | made_up_number | invented_name | refuse | obey | obey_cited | fixed | fail
    reply: str = ""  # the answer in mode "fixed"
    prompts: list[str] = Field(default_factory=list)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="fake", is_chat_model=False)

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        self.prompts.append(prompt)
        if self.mode == "fail":
            raise RuntimeError("model crashed")
        return CompletionResponse(text=self._answer(prompt))

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        yield self.complete(prompt, formatted, **kwargs)

    def _answer(self, prompt: str) -> str:
        sources = dict(re.findall(r'<source id="(\d+)"[^>]*>\n(.*?)\n</source>', prompt, re.DOTALL))
        first = re.split(r"(?<=[.!?])\s+", sources["1"])[0]
        honest = f"{first} [1]"
        extra = {
            "copy": "",
            "bad_marker": " Ông phát biểu tại diễn đàn ở Ninh Bình. [7]",
            "made_up_number": " Diễn đàn kỷ niệm 45 năm quan hệ ngoại giao EU - Việt Nam [2].",
            "invented_name": " Đại sứ Liên minh châu Âu tại Việt Nam là ông John Smith [1].",
            "obey": " The budget was 999 million euros [7]." if "IGNORE PREVIOUS INSTRUCTIONS" in prompt else "",
            # obeys, and cites the injected passage itself (source [3]): the claim passes the support rule
            "obey_cited": " The budget was 999 million euros [3]." if "IGNORE PREVIOUS INSTRUCTIONS" in prompt else "",
        }
        if self.mode == "refuse":
            return "NOT_IN_DOCUMENTS"
        if self.mode == "fixed":
            return self.reply
        return honest + extra[self.mode]
