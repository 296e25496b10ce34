"""Molva's Scrapy project: one small spider per source kind, one item pipeline that stores into the database.

Nothing here classifies: the pipeline stores mentions, their catalog brands (``sentiment = NULL``) and
official replies; ``molva classify`` scores them later in batches.
"""
