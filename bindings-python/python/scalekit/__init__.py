"""AgentKit Python SDK (import package ``scalekit``): authenticated tool calling for AI agents.

    import scalekit.client
    client = scalekit.client.ScalekitClient(client_id=..., client_secret=..., env_url=...)
    result = client.actions.execute_tool(tool_name="gmail_fetch_mails", identifier="user_123",
                                         tool_input={"query": "is:unread", "max_results": 5})
"""

import atexit as _atexit

from scalekit._install_check import refuse_mixed_install as _refuse_mixed_install

_refuse_mixed_install()

from scalekit import _native  # noqa: E402 (after the mixed-install check, which names the fix)
from scalekit.client import ScalekitClient  # noqa: E402

__all__ = ["ScalekitClient"]
__version__ = _native.__version__

# Stop the Rust runtime before the interpreter tears down, so no worker thread outlives it.
_atexit.register(_native.shutdown)
