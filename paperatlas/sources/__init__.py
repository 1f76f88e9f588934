"""Sources that fetch themselves: connectors to remote listings, a polite HTTP fetcher, the fetch
guard, and the sync engine. The use cases (add, list, remove, sync) are ``services.sources``.

- ``http``: the one fetcher (pace per host, retries honouring Retry-After, conditional requests,
  timeouts, size limits, manual redirects, redacted messages);
- ``guard``: only http/https, and in shared mode only public addresses, checked at connect time;
- ``base``: what a connector is, and the registry; ``connectors``: the built-in ones (arXiv API,
  arXiv announcements, OpenReview, Hugging Face daily papers, papers.cool, Semantic Scholar, any
  listing URL);
- ``sync``: page by page, each page's records and state in one transaction.
"""
