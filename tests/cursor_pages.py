"""Walking a cursor-paginated list through its links, as a client does (pharmex.api.pagination)."""

from __future__ import annotations


def walk(client, url: str) -> tuple[list[list[int]], list[list[int]]]:
    """The ids of the pages following `next` links to the end, then of those following `previous` links back."""
    forward, backward = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        page = response.json()
        forward.append([row["id"] for row in page["results"]])
        last_previous, url = page["previous"], page["next"]
    url = last_previous
    while url:
        page = client.get(url).json()
        backward.append([row["id"] for row in page["results"]])
        url = page["previous"]
    return forward, backward
