"""Private repositories: their links, badges and answers are shown only to signed-in people who can read them."""
