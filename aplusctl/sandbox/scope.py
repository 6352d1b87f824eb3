"""Keys the sandbox's handlers leave in the ASGI scope for the outer gateway (`app.Gateway`),
which writes the request log and owns the raw connection a dropped request is cut on."""

OPERATION_SCOPE_KEY = "aplusctl.operation"  # the operationId (or "lwa:token", "s3:PostObject", "admin")
REQUEST_ID_SCOPE_KEY = "aplusctl.request_id"
RAW_SEND_SCOPE_KEY = "aplusctl.raw_send"  # uvicorn's own `send`, whose cycle holds the transport
DROPPED_SCOPE_KEY = "aplusctl.dropped"  # the connection was cut: logged as status 0
