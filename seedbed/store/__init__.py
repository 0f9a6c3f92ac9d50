"""The only package that knows tables: the Store, its schema, frozen migrations, filter options."""
