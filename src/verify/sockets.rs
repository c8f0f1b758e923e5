//! Which process holds the server end of a loopback TCP connection, read from
//! Linux's `/proc/net/tcp{,6}` and `/proc/*/fd`. The ws-chat check uses it to
//! make sure a room's members are spread over several worker processes.

/// The pid holding the server end of the connection from local port
/// `client_port` to `server_port`, when `/proc` can tell.
pub fn server_side_pid(client_port: u16, server_port: u16) -> Option<u32> {
    let inode = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .find_map(|table| {
            let text = std::fs::read_to_string(table).ok()?;
            text.lines()
                .skip(1)
                .find_map(|line| socket_inode(line, server_port, client_port))
        })?;
    let wanted = format!("socket:[{inode}]");
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if let Ok(target) = std::fs::read_link(fd.path())
                && target.as_os_str() == wanted.as_str()
            {
                return Some(pid);
            }
        }
    }
    None
}

/// The inode of a `/proc/net/tcp` row whose local port is `local` and
/// remote port `remote`.
fn socket_inode(line: &str, local: u16, remote: u16) -> Option<u64> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let port = |addr: &str| {
        addr.rsplit_once(':')
            .and_then(|(_, p)| u16::from_str_radix(p, 16).ok())
    };
    if port(fields.get(1)?)? == local && port(fields.get(2)?)? == remote {
        fields.get(9)?.parse().ok().filter(|&inode| inode != 0)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_proc_net_tcp_row() {
        let row = "   3: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 20 4 30 10 -1";
        assert_eq!(socket_inode(row, 0x1F90, 0xD431), Some(123456));
        assert_eq!(socket_inode(row, 0x1F90, 0xD432), None);
    }

    #[test]
    fn finds_this_process_as_the_server_end() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let server_port = listener.local_addr().unwrap().port();
        let client = std::net::TcpStream::connect(("127.0.0.1", server_port)).unwrap();
        let (_accepted, _) = listener.accept().unwrap();
        let client_port = client.local_addr().unwrap().port();
        if std::path::Path::new("/proc/net/tcp").exists() {
            assert_eq!(
                server_side_pid(client_port, server_port),
                Some(std::process::id())
            );
        }
    }
}
