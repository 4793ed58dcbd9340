"""Framework adapters: Scalekit tools as LangChain and Google ADK tools (``actions.langchain``,
``actions.google``). Both fetch every page of the user's scoped tools and run calls through
``actions.execute_tool`` (so modifiers apply); results reach the model as JSON text, failures as
readable tool errors (with the authorization link when the account is not ACTIVE)."""
