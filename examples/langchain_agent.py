"""A LangChain agent that recalls from graphmem when it needs to, and remembers each turn.

    pip install 'graphmem[examples]'     # langchain-core + langchain-ollama
    graphmem neo4j start
    python examples/langchain_agent.py --user alice

The model gets graphmem's search as a tool (GraphMemSearchTool) and decides when to call
it; the loop is langchain-core's own pieces (bind_tools, tool calls, ToolMessage), no agent
framework. Any LangChain chat model with tool calling works: swap ChatOllama for
ChatOpenAI (langchain-openai) or another in `chat_model`.
"""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_ollama import ChatOllama
from memory_chat import converse, ollama_memory, remember

from graphmem import Memory
from graphmem.integrations.langchain import GraphMemSearchTool

SYSTEM = (
    "You are a friendly assistant with a long-term memory of this user. When the answer "
    "may depend on what they told you before (their people, places, plans, preferences), "
    "call search_memory first. Never invent memories."
)
MAX_STEPS = 4  # model turns per question: tool calls, then the answer


def chat_model(memory: Memory) -> BaseChatModel:
    """The chat model: the Ollama graphmem extracts with (GRAPHMEM_LLM_MODEL, _BASE_URL)."""
    settings = memory.settings
    return ChatOllama(model=settings.llm_model, base_url=settings.llm_base_url, temperature=0)


class MemoryAgent:
    """Answers with the model, which may search memory; remembers every exchange."""

    def __init__(self, memory: Memory, model: BaseChatModel, user_id: str) -> None:
        self.memory = memory
        self.user_id = user_id
        self.tool = GraphMemSearchTool(memory=memory, user_id=user_id, top_k=5)
        self.model = model.bind_tools([self.tool])
        self.history: list[BaseMessage] = [SystemMessage(SYSTEM)]

    def reply(self, text: str) -> str:
        self.history.append(HumanMessage(text))
        for _ in range(MAX_STEPS):
            answer = self.model.invoke(self.history)
            self.history.append(answer)
            if not answer.tool_calls:
                break
            # Each call runs graphmem's search; invoked with the call, the tool answers
            # with the ToolMessage the model expects next.
            self.history += [self.tool.invoke(call) for call in answer.tool_calls]
        else:  # still calling tools after MAX_STEPS
            answer = AIMessage("I could not finish thinking about that.")
            self.history.append(answer)
        remember(self.memory, self.user_id, text, answer.text)
        return answer.text


def main(argv: list[str] | None = None) -> int:
    memory, user_id = ollama_memory(__doc__.splitlines()[0], argv)
    with memory:
        converse(MemoryAgent(memory, chat_model(memory), user_id).reply)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
