//! Where the load goes: resolving URLs to socket addresses (loopback only
//! unless allowed) and probing them before the run so a missing server is a
//! clear, prompt error rather than a storm of connect failures.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::error::bad_input_msg;

/// The distinct addresses of a run's URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets {
    /// Distinct socket addresses, in first-seen order.
    pub addrs: Vec<SocketAddr>,
    /// For each URL, its index in `addrs`.
    pub of_url: Vec<usize>,
}

/// True for hosts that are loopback by name or address: `localhost`,
/// 127.0.0.0/8, `::1`.
pub fn is_loopback_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => {
            d.eq_ignore_ascii_case("localhost") || d.to_ascii_lowercase().ends_with(".localhost")
        }
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

impl Targets {
    /// Resolves every URL's host and port (IPv4 preferred). Without
    /// `allow_remote`, an address outside loopback is bad input.
    pub async fn resolve(urls: &[url::Url], allow_remote: bool) -> anyhow::Result<Targets> {
        let mut targets = Targets {
            addrs: Vec::new(),
            of_url: Vec::with_capacity(urls.len()),
        };
        for url in urls {
            let host = url
                .host()
                .ok_or_else(|| bad_input_msg(format!("URL `{url}` has no host")))?;
            let port = url
                .port_or_known_default()
                .ok_or_else(|| bad_input_msg(format!("URL `{url}` has no port")))?;
            let addr = match host {
                url::Host::Ipv4(ip) => SocketAddr::new(IpAddr::V4(ip), port),
                url::Host::Ipv6(ip) => SocketAddr::new(IpAddr::V6(ip), port),
                url::Host::Domain(name) => {
                    let found: Vec<SocketAddr> = tokio::net::lookup_host((name, port))
                        .await
                        .map_err(|err| bad_input_msg(format!("cannot resolve `{name}`: {err}")))?
                        .collect();
                    *found
                        .iter()
                        .find(|a| a.is_ipv4())
                        .or(found.first())
                        .ok_or_else(|| bad_input_msg(format!("`{name}` resolves to nothing")))?
                }
            };
            if !allow_remote && !addr.ip().is_loopback() {
                return Err(bad_input_msg(format!(
                    "URL `{url}` is not on this machine ({}); ringside only loads loopback \
                     targets unless --allow-remote is given",
                    addr.ip()
                )));
            }
            let index = match targets.addrs.iter().position(|a| *a == addr) {
                Some(i) => i,
                None => {
                    targets.addrs.push(addr);
                    targets.addrs.len() - 1
                }
            };
            targets.of_url.push(index);
        }
        Ok(targets)
    }
}

/// Connects once to each address; a refusal or timeout is an error that says
/// what is wrong ("nothing is listening on 127.0.0.1:8080 — is the server running?").
pub async fn preflight(addrs: &[SocketAddr], timeout: Duration) -> anyhow::Result<()> {
    for &addr in addrs {
        match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await {
            // A connect to a free local ephemeral port can pick that same port
            // as its source and connect to itself: nothing is listening.
            Ok(Ok(stream)) if stream.local_addr().ok() == Some(addr) => {
                anyhow::bail!("nothing is listening on {addr} — is the server running?")
            }
            Ok(Ok(_)) => {}
            Ok(Err(err)) if err.kind() == io::ErrorKind::ConnectionRefused => {
                anyhow::bail!("nothing is listening on {addr} — is the server running?")
            }
            Ok(Err(err)) => anyhow::bail!("cannot connect to {addr}: {err}"),
            Err(_) => anyhow::bail!(
                "connecting to {addr} took longer than {} — is the server up?",
                humantime::format_duration(timeout)
            ),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(s: &str) -> bool {
        let url = url::Url::parse(s).unwrap();
        is_loopback_host(&url.host().unwrap())
    }

    #[test]
    fn loopback_hosts() {
        assert!(host("http://localhost:1/"));
        assert!(host("http://127.0.0.1/"));
        assert!(host("http://127.9.8.7/"));
        assert!(host("http://[::1]:80/"));
        assert!(!host("http://10.0.0.1/"));
        assert!(!host("http://example.com/"));
    }

    #[tokio::test]
    async fn resolves_and_dedups() {
        let urls: Vec<url::Url> = [
            "http://127.0.0.1:9/a",
            "http://127.0.0.1:9/b",
            "http://[::1]:9/",
        ]
        .iter()
        .map(|u| url::Url::parse(u).unwrap())
        .collect();
        let t = Targets::resolve(&urls, false).await.unwrap();
        assert_eq!(t.addrs.len(), 2);
        assert_eq!(t.of_url, vec![0, 0, 1]);
        let remote = [url::Url::parse("http://10.1.2.3/").unwrap()];
        let err = Targets::resolve(&remote, false).await.unwrap_err();
        assert_eq!(crate::error::exit_code(&err), 2);
    }

    #[tokio::test]
    async fn preflight_names_the_refused_address() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        preflight(&[addr], Duration::from_secs(1)).await.unwrap();
        drop(listener);
        let err = preflight(&[addr], Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("nothing is listening on {addr}")),
            "{err}"
        );
    }
}
