"""The toy homework's hidden suite runs only inside grade(), never as a project test."""

collect_ignore = ["toy"]
