"""The CLI door: `warroom …` talks to a server over HTTP; server and db commands run locally."""
