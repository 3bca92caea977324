"""The job queue's running side: the worker, the job registry, dispatch of deliveries to the
handlers, upkeep jobs.
"""
