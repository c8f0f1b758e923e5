//! Loopback networking helpers shared by the stacks and the database, below both.

/// Picks a free loopback port (bind port 0, read it, close).
pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind(("127.0.0.1", 0))?
        .local_addr()?
        .port())
}
