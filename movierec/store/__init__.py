"""The app's durable store: schema, migrations and read-only exports, shared by the profiles service and the trainer."""

# The model's user id of account a is APP_USER_ID_OFFSET + a: it never collides with a MovieLens user id.
# Here, with no imports, so the gateway can name it without loading the database stack.
APP_USER_ID_OFFSET = 1_000_000_000
