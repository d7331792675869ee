//! `mamori healthcheck …`: Whether a running server answers.

use crate::*;

#[derive(clap::Args)]
pub(crate) struct Healthcheck {
    #[arg(long, env = "MAMORI_LISTEN", default_value = "127.0.0.1:8080")]
    pub(crate) listen: SocketAddr,
}

pub(crate) async fn run(args: Healthcheck) -> Result<()> {
    let Healthcheck { listen } = args;
    healthcheck(listen).await
}

/// GET /healthz over plain HTTP/1.1 on the local address.
async fn healthcheck(addr: SocketAddr) -> Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let fut = async {
        let mut s = tokio::net::TcpStream::connect(addr)
            .await
            .with_context(|| format!("{addr} に接続できません"))?;
        s.write_all(
            format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await?;
        anyhow::Ok(String::from_utf8_lossy(&buf).into_owned())
    };
    let resp = tokio::time::timeout(std::time::Duration::from_secs(5), fut)
        .await
        .context("応答がありません（5秒）")??;
    if resp.starts_with("HTTP/1.1 200") {
        println!("正常です");
        Ok(())
    } else {
        bail!("異常な応答: {}", resp.lines().next().unwrap_or(""))
    }
}
