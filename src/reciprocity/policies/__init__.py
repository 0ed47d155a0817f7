"""Policy families. Each module declares its policies as data and compiles them to closures."""
