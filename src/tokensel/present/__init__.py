"""What turns stored results into pages: figures and their colours, tables, the results summary at
the top of every page, and the notebook runner that executes a stage's notebook and writes its page.

Nothing here trains or is imported by training code (a test checks it), so a change to how results
are shown never changes a run's key in the run store.
"""
