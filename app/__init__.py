"""contextjson web service: settings, database, features and create_app()."""
