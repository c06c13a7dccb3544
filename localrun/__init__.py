"""The local run: the whole pipeline on one machine against moto's server, driving the real handlers.

`python -m localrun` (or `make local`). Modules: emulator (AWS on 127.0.0.1, resources as the dev stack),
functions (the handlers, loaded as Lambda would), event_source (the SQS -> parser event source mapping),
async_invoke (Lambda's asynchronous invocations, in-process), outputs (download + gallery), run (the
whole run), cli (options, progress, summary).
"""
