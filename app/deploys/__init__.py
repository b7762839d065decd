"""Pure core of Cloudflare Workers deploys (issue 10): answer parsing, wrangler config, upload."""
