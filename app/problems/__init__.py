"""The one error handler: every exception becomes a Problem, rendered for whoever asked.

- `accept`: does the client prefer HTML over JSON (one rule, from the Accept header's q-values)?
- `problem`: any exception (AppError, Litestar's HTTPException, anything unexpected) → a `Problem`.
- `render`: a Problem as an HTML page, `application/problem+json` (RFC 9457) or OpenAI's error shape.
- `handler`: the exception handler registered in create_app, which picks the renderer.
"""

from app.problems.handler import EXCEPTION_HANDLERS, OPENAI_ERRORS, handle_exception

__all__ = ["EXCEPTION_HANDLERS", "OPENAI_ERRORS", "handle_exception"]
