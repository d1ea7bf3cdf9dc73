"""The app's durable store: schema, migrations and read-only exports, shared by the profiles service and the trainer."""
