"""Alerts: urgency rules, the transactional outbox dispatcher, support-community adapters and spikes.

``alerts.rules.enqueue_alerts`` writes outbox rows in the classification transaction;
``alerts.dispatcher.dispatch`` delivers them (built-in board, Discourse, webhook);
``alerts.spikes.detect_spikes`` finds negativity spikes and enqueues PR notifications.
"""
