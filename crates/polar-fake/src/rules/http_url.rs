//! pydantic's `HttpUrl`, which Polar uses for a customer session's `return_url`
//! (server/polar/customer_session/schemas.py), and the string the server stores from it
//! (`str(return_url)` in server/polar/customer_session/service.py).
//!
//! pydantic-core 2.46 parses URLs with the `url` crate (2.5.8, WHATWG rules), so the fake uses the
//! same parser: the scheme and host are lower-cased, a default port is dropped, an empty path
//! becomes `/`, `.`/`..` segments are resolved, a Unicode host is written in Punycode, IPv4 hosts
//! in dotted form, and characters a URL may not hold are percent-encoded. What pydantic adds on
//! top is copied here: its order of checks (length in bytes, parse, scheme), its error types and
//! its messages.

use serde_json::{Value, json};

/// `HttpUrl`'s `max_length`, counted in bytes of the input.
pub(crate) const URL_MAX: usize = 2083;

/// Why pydantic refuses a URL: the pieces of its error, without the location.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct UrlError {
    pub kind: &'static str,
    pub msg: String,
    pub ctx: Option<Value>,
}

impl UrlError {
    fn parsing(error: &str) -> Self {
        UrlError {
            kind: "url_parsing",
            msg: format!("Input should be a valid URL, {error}"),
            ctx: Some(json!({ "error": error })),
        }
    }

    /// A JSON value that is not a string (pydantic accepts no number or boolean as a URL).
    pub(crate) fn not_a_string() -> Self {
        UrlError {
            kind: "url_type",
            msg: "URL input should be a string or URL".to_owned(),
            ctx: None,
        }
    }
}

/// Checks `raw` as pydantic's `HttpUrl` does in lax mode and returns the URL as pydantic writes it.
pub(crate) fn http_url(raw: &str) -> Result<String, UrlError> {
    if raw.len() > URL_MAX {
        return Err(UrlError {
            kind: "url_too_long",
            msg: format!("URL should have at most {URL_MAX} characters"),
            ctx: Some(json!({ "max_length": URL_MAX })),
        });
    }
    if raw.is_empty() {
        return Err(UrlError::parsing("input is empty"));
    }
    let url = url::Url::parse(raw).map_err(|e| UrlError::parsing(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlError {
            kind: "url_scheme",
            msg: "URL scheme should be 'http' or 'https'".to_owned(),
            ctx: Some(json!({ "expected_schemes": "'http' or 'https'" })),
        });
    }
    Ok(url.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inputs judged by pydantic 2.13.4 (pydantic-core 2.46.4) through a model with Polar's
    /// `return_url: HttpUrl | None` and `Schema` validators, 79 chosen by hand and 700 drawn at
    /// random from schemes, separators, user info, hosts, ports, paths, queries and fragments:
    /// JSON lines `[input, "ok", str(url)]` or `[input, "err", type, msg, ctx]`.
    const PYDANTIC: &str = include_str!("http_url_cases.jsonl");

    #[test]
    fn agreement_with_pydantic() {
        let mut wrong = Vec::new();
        let lines = PYDANTIC.lines().count();
        for line in PYDANTIC.lines() {
            let case: Vec<Value> = serde_json::from_str(line).unwrap();
            let input = case[0].as_str().unwrap();
            let got = match http_url(input) {
                Ok(url) => vec![json!("ok"), json!(url)],
                Err(e) => vec![json!("err"), json!(e.kind), json!(e.msg), json!(e.ctx)],
            };
            if got[..] != case[1..] {
                wrong.push(format!("{input:?}: {got:?}, pydantic {:?}", &case[1..]));
            }
        }
        assert!(lines > 700, "{lines} cases");
        assert!(wrong.is_empty(), "{} of {lines}: {wrong:#?}", wrong.len());
    }

    #[test]
    fn normalises_as_pydantic() {
        for (raw, written) in [
            ("https://example.com", "https://example.com/"),
            ("HTTPS://EXAMPLE.COM/Path", "https://example.com/Path"),
            ("https://example.com:443/a", "https://example.com/a"),
            ("http://example.com:8080", "http://example.com:8080/"),
            ("https://bücher.de/", "https://xn--bcher-kva.de/"),
            ("https://example.com/a b", "https://example.com/a%20b"),
            ("\thttps://exa\nmple.com\n", "https://example.com/"),
            ("http://127.1", "http://127.0.0.1/"),
        ] {
            assert_eq!(http_url(raw).as_deref(), Ok(written), "{raw:?}");
        }
    }

    #[test]
    fn refuses_as_pydantic() {
        let kind = |raw: &str| http_url(raw).unwrap_err().kind;
        assert_eq!(kind("ftp://x"), "url_scheme");
        assert_eq!(kind("example.com"), "url_parsing");
        assert_eq!(
            http_url("").unwrap_err(),
            UrlError::parsing("input is empty")
        );
        assert_eq!(
            http_url("https://").unwrap_err(),
            UrlError::parsing("empty host")
        );
        // Bytes, not characters: 2 083 bytes pass, 1 052 characters in 2 084 bytes do not.
        let at_limit = format!("https://example.com/{}", "a".repeat(URL_MAX - 20));
        assert!(http_url(&at_limit).is_ok());
        assert_eq!(kind(&format!("{at_limit}a")), "url_too_long");
        assert_eq!(
            kind(&format!("https://example.com/{}", "é".repeat(1032))),
            "url_too_long"
        );
    }
}
