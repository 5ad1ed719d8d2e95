//! [`RequestOptions`]: what to request and where to send it, with Node's option names, and the
//! `http:` URL parsing behind [`RequestOptions::from_url`].
//!
//! ```
//! use stdhttp::RequestOptions;
//!
//! let opts = RequestOptions::new()
//!     .hostname("127.0.0.1")
//!     .port(8080)
//!     .method("post")
//!     .path("/submit?x=1")
//!     .header("Content-Type", "text/plain")
//!     .auth("user:secret");
//! assert_eq!(opts.get_method(), "POST");
//! assert_eq!(opts.host_header().as_deref(), Some("127.0.0.1:8080"));
//! assert_eq!(opts.authorization().as_deref(), Some("Basic dXNlcjpzZWNyZXQ="));
//! assert_eq!(opts.resolved_agent_name(), "127.0.0.1:8080:");
//!
//! let opts = RequestOptions::from_url("http://u%20ser:pw@[::1]:8080/a b?q#frag").unwrap();
//! assert_eq!(opts.get_hostname(), Some("::1"));
//! assert_eq!(opts.get_port(), Some(8080));
//! assert_eq!(opts.get_path(), "/a%20b?q");
//! assert_eq!(opts.get_auth(), Some("u ser:pw"));
//! ```
#![forbid(unsafe_code)]

use std::fmt;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use super::url::parse_url;
use crate::net::Socket;
use crate::outgoing::HeaderValue;
use crate::proto::encode::{
    validate_header_name, validate_header_value, validate_method, validate_path,
};
use crate::proto::headers::Folding;
use crate::Error;

/// The port a request goes to when neither `port` nor `default_port` is given: the `http:`
/// agent's `defaultPort`.
const HTTP_DEFAULT_PORT: u16 = 80;

/// Which agent (connection pool) a request uses: Node's `agent` option.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AgentChoice {
    /// Node's `agent: someAgent`: this pool.
    Agent(super::agent::Agent),
    /// Node's `agent: undefined`: the global agent (`global_agent()`), which keeps
    /// connections alive.
    #[default]
    Global,
    /// Node's `agent: false`: no pooling — a fresh one-off agent with keep-alive off, so the
    /// request sends `Connection: close` and its socket is never reused.
    Unpooled,
}

/// The options of a client request, with Node's `http.request(options)` names, as a builder.
///
/// Every builder method takes and returns `self`; the getters are named `get_<option>`, as in
/// [`std::process::Command`], since the plain names are taken by the builder.
///
/// Defaults are Node 20's: method `GET`, path `/`, host `localhost`, port = `default_port` (80),
/// the global agent, `set_host` on, no timeout.
///
/// Building never fails; [`validate`](RequestOptions::validate) checks the path, method and
/// headers the way Node's `http.request` does (the request code calls it before anything is
/// sent).
///
/// A URL string gives options too ([`from_url`](RequestOptions::from_url), `TryFrom<&str>`,
/// `str::parse`). Node's `http.request(url, options)` (options override the URL's fields) is
/// `RequestOptions::from_url(url)?` followed by builder calls.
///
/// ```
/// use stdhttp::{AgentChoice, RequestOptions};
///
/// let opts = RequestOptions::new()
///     .host("example.test")
///     .agent(AgentChoice::Unpooled)
///     .timeout(1500);
/// assert_eq!(opts.effective_host(), "example.test");
/// assert_eq!(opts.effective_port(), 80);
/// assert_eq!(opts.host_header().as_deref(), Some("example.test"));
/// assert_eq!(opts.get_timeout(), Some(1500));
/// ```
#[derive(Debug, Clone)]
pub struct RequestOptions {
    host: Option<String>,
    hostname: Option<String>,
    family: Option<u8>,
    port: Option<u16>,
    local_address: Option<String>,
    socket_path: Option<PathBuf>,
    /// Upper-cased; `method_given` keeps the caller's spelling for the error message.
    method: String,
    method_given: String,
    path: String,
    headers: Vec<(String, String)>,
    auth: Option<String>,
    agent: AgentChoice,
    timeout: Option<Duration>,
    set_host: bool,
    default_port: u16,
    max_header_size: Option<usize>,
    join_duplicate_headers: bool,
    create_connection: Option<CreateConnection>,
}

type Connector = dyn Fn(&RequestOptions) -> io::Result<Socket> + Send + Sync;

/// Opens the stream for a request (Node's `createConnection` option).
#[derive(Clone)]
pub struct CreateConnection(Arc<Connector>);

impl fmt::Debug for CreateConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CreateConnection(..)")
    }
}

impl CreateConnection {
    pub(crate) fn new(
        f: impl Fn(&RequestOptions) -> io::Result<Socket> + Send + Sync + 'static,
    ) -> CreateConnection {
        CreateConnection(Arc::new(f))
    }

    pub(crate) fn open(&self, opts: &RequestOptions) -> io::Result<Socket> {
        (self.0)(opts)
    }
}

impl Default for RequestOptions {
    fn default() -> Self {
        RequestOptions::new()
    }
}

impl RequestOptions {
    /// Options with Node's defaults: `GET /` to `localhost:80` through the global agent.
    pub fn new() -> Self {
        RequestOptions {
            host: None,
            hostname: None,
            family: None,
            port: None,
            local_address: None,
            socket_path: None,
            method: "GET".to_owned(),
            method_given: "GET".to_owned(),
            path: "/".to_owned(),
            headers: Vec::new(),
            auth: None,
            agent: AgentChoice::Global,
            timeout: None,
            set_host: true,
            default_port: HTTP_DEFAULT_PORT,
            max_header_size: None,
            join_duplicate_headers: false,
            create_connection: None,
        }
    }

    // -----------------------------------------------------------------------------------------
    // Builder

    /// Node's `host`: the server's name or IP address. [`hostname`](Self::hostname) wins
    /// over it when both are set.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// Node's `hostname`: like [`host`](Self::host), and preferred over it. An empty
    /// hostname counts as not set.
    pub fn hostname(mut self, hostname: impl Into<String>) -> Self {
        self.hostname = Some(hostname.into());
        self
    }

    /// Node's `family`: `4` or `6` restricts the name lookup to IPv4 or IPv6. The value is
    /// kept as given; as in Node, other values are left out of the agent name, and the
    /// connection code decides what a lookup does with them (Node rejects them when a host
    /// name has to be looked up).
    pub fn family(mut self, family: u8) -> Self {
        self.family = Some(family);
        self
    }

    /// Node's `port`. Port 0 means "not set", as in Node: [`default_port`](Self::default_port)
    /// is used.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Node's `localAddress`: the local interface to bind the connection to. Part of the
    /// agent name.
    pub fn local_address(mut self, addr: impl Into<String>) -> Self {
        self.local_address = Some(addr.into());
        self
    }

    /// Node's `socketPath`: connect to this Unix domain socket instead of host and port. The
    /// `Host` header is still built from host and port, as in Node.
    pub fn socket_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.socket_path = Some(path.into());
        self
    }

    /// Node's `method`, upper-cased (`"get"` → `GET`). Any token is allowed (`FOO` too); an
    /// empty method means `GET`, as in Node. An invalid one is reported by
    /// [`validate`](Self::validate).
    pub fn method(mut self, method: impl Into<String>) -> Self {
        let given: String = method.into();
        if given.is_empty() {
            self.method = "GET".to_owned();
            self.method_given = "GET".to_owned();
        } else {
            // A valid token is ASCII, where ASCII upper-casing equals Node's toUpperCase.
            self.method = given.to_ascii_uppercase();
            self.method_given = given;
        }
        self
    }

    /// Node's `path`: the request target, query string included. An empty path means `/`,
    /// as in Node. It is sent as given, so it must already be percent-encoded:
    /// [`validate`](Self::validate) rejects chars outside `U+0021`–`U+00FF`.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        let path: String = path.into();
        self.path = if path.is_empty() {
            "/".to_owned()
        } else {
            path
        };
        self
    }

    /// Appends one request header (Node's `headers` option, one entry). Headers keep their
    /// order and case; adding a name twice sends it twice. A `Host` or `Authorization` header
    /// given here (any case) replaces the generated one. The value is anything
    /// [`set_header`](crate::ClientRequest::set_header) takes: a list sends one line per
    /// value, as Node does for an array.
    ///
    /// ```
    /// let opts = stdhttp::RequestOptions::new()
    ///     .header("Content-Length", 5u64)
    ///     .header("Cookie", vec!["a=1", "b=2"]);
    /// # drop(opts);
    /// ```
    pub fn header(mut self, name: impl Into<String>, value: impl Into<HeaderValue>) -> Self {
        let name = name.into();
        match value.into() {
            HeaderValue::One(v) => self.headers.push((name, v)),
            HeaderValue::List(values) => self
                .headers
                .extend(values.into_iter().map(|v| (name.clone(), v))),
        }
        self
    }

    /// Appends several request headers, in order (see [`header`](Self::header)).
    pub fn headers<N, V, I>(mut self, headers: I) -> Self
    where
        N: Into<String>,
        V: Into<HeaderValue>,
        I: IntoIterator<Item = (N, V)>,
    {
        for (n, v) in headers {
            self = self.header(n, v);
        }
        self
    }

    /// Node's `auth`: `"user:password"`, sent as `Authorization: Basic <base64>` unless an
    /// `Authorization` header is given. An empty string sends nothing.
    pub fn auth(mut self, auth: impl Into<String>) -> Self {
        self.auth = Some(auth.into());
        self
    }

    /// Node's `agent`: which connection pool the request uses (default
    /// [`AgentChoice::Global`]).
    pub fn agent(mut self, agent: AgentChoice) -> Self {
        self.agent = agent;
        self
    }

    /// Node's `timeout`, in milliseconds: the socket inactivity timeout. When it fires the
    /// request's `'timeout'` event runs; the request is not aborted by it. 0 = no timeout
    /// (as in Node).
    pub fn timeout(mut self, ms: u64) -> Self {
        self.timeout = Some(Duration::from_millis(ms));
        self
    }

    /// Node's `setHost`: `false` sends no generated `Host` header (default `true`).
    pub fn set_host(mut self, set_host: bool) -> Self {
        self.set_host = set_host;
        self
    }

    /// Node's `defaultPort` (default 80): the port used when none is given, and left out of
    /// the `Host` header when the request goes to it. 0 means 80, as in Node.
    pub fn default_port(mut self, port: u16) -> Self {
        self.default_port = port;
        self
    }

    /// Node's `maxHeaderSize`: the limit for the response head, overriding the default
    /// (16 KiB); 0 means the default, as in Node and on the server's `set_max_header_size`.
    pub fn max_header_size(mut self, bytes: usize) -> Self {
        self.max_header_size = Some(bytes);
        self
    }

    /// Node's `joinDuplicateHeaders` (default false): when on, the response's
    /// [`headers`](crate::IncomingMessage::headers) and
    /// [`trailers`](crate::IncomingMessage::trailers) join every repeated name with
    /// `", "`, the names Node otherwise keeps the first value of (`content-type`,
    /// `location`, `etag`...) included; `set-cookie` stays a list and `cookie` joins with
    /// `"; "`.
    ///
    /// ```
    /// use stdhttp::RequestOptions;
    /// let opts = RequestOptions::new().join_duplicate_headers(true);
    /// assert!(opts.get_join_duplicate_headers());
    /// assert!(!RequestOptions::new().get_join_duplicate_headers());
    /// ```
    pub fn join_duplicate_headers(mut self, join: bool) -> Self {
        self.join_duplicate_headers = join;
        self
    }

    /// Node's `createConnection`: `f` opens the stream a new connection uses instead of a
    /// TCP or Unix connect (TLS over TCP, a pipe, an in-memory stream). The agent pools it
    /// like a TCP socket, under a name of its own (the origin plus this connector: clones
    /// of these options share it, a plain request to the same origin does not); a stream
    /// that cannot be peeked counts as quiet when it is reused.
    ///
    /// ```
    /// use stdhttp::{RequestOptions, Socket};
    /// let opts = RequestOptions::new()
    ///     .create_connection(|_opts| Socket::connect("127.0.0.1:8080"));
    /// # drop(opts);
    /// ```
    pub fn create_connection(
        mut self,
        f: impl Fn(&RequestOptions) -> io::Result<Socket> + Send + Sync + 'static,
    ) -> Self {
        self.create_connection = Some(CreateConnection::new(f));
        self
    }

    /// Open a connection with the `create_connection` callback, if one is set.
    pub(crate) fn open_own_connection(&self) -> Option<io::Result<Socket>> {
        self.create_connection.as_ref().map(|f| f.open(self))
    }

    // -----------------------------------------------------------------------------------------
    // Getters

    /// The `host` option as given.
    pub fn get_host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// The `hostname` option as given (a URL's hostname, brackets removed from IPv6).
    pub fn get_hostname(&self) -> Option<&str> {
        self.hostname.as_deref()
    }

    /// The `family` option as given.
    pub fn get_family(&self) -> Option<u8> {
        self.family
    }

    /// The `port` option as given (see [`effective_port`](Self::effective_port)).
    pub fn get_port(&self) -> Option<u16> {
        self.port
    }

    /// The `localAddress` option.
    pub fn get_local_address(&self) -> Option<&str> {
        self.local_address.as_deref()
    }

    /// The `socketPath` option.
    pub fn get_socket_path(&self) -> Option<&Path> {
        self.socket_path.as_deref()
    }

    /// The method, upper-cased (`GET` by default).
    pub fn get_method(&self) -> &str {
        &self.method
    }

    /// The request path (`/` by default).
    pub fn get_path(&self) -> &str {
        &self.path
    }

    /// The headers given, in order, names' case kept.
    pub fn get_headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The `auth` option (`user:password`, already percent-decoded when it came from a URL).
    pub fn get_auth(&self) -> Option<&str> {
        self.auth.as_deref()
    }

    /// The `agent` option.
    pub fn get_agent(&self) -> &AgentChoice {
        &self.agent
    }

    /// The `timeout` option in ms, if given (`Some(0)`: no timeout).
    pub fn get_timeout(&self) -> Option<u64> {
        self.timeout
            .map(|d| d.as_millis().min(u128::from(u64::MAX)) as u64)
    }

    /// The `timeout` option as given (`Some(ZERO)`: disabled).
    pub(crate) fn timeout_given(&self) -> Option<Duration> {
        self.timeout
    }

    /// The `setHost` option (default `true`).
    pub fn get_set_host(&self) -> bool {
        self.set_host
    }

    /// The `defaultPort` option as given (default 80; see
    /// [`effective_port`](Self::effective_port)).
    pub fn get_default_port(&self) -> u16 {
        self.default_port
    }

    /// The `maxHeaderSize` option.
    pub fn get_max_header_size(&self) -> Option<usize> {
        self.max_header_size
    }

    /// The `joinDuplicateHeaders` option (default false).
    pub fn get_join_duplicate_headers(&self) -> bool {
        self.join_duplicate_headers
    }

    /// How the response's headers fold repeated names.
    pub(crate) fn response_folding(&self) -> Folding {
        if self.join_duplicate_headers {
            Folding::JoinDuplicates
        } else {
            Folding::Node
        }
    }

    // -----------------------------------------------------------------------------------------
    // What a request makes of the options

    /// The host to connect to and name in `Host`: `hostname`, else `host`, else `localhost`
    /// (empty strings count as not set, as in Node).
    pub fn effective_host(&self) -> &str {
        non_empty(self.hostname.as_deref())
            .or_else(|| non_empty(self.host.as_deref()))
            .unwrap_or("localhost")
    }

    /// The port to connect to: `port`, else `default_port`, else 80 (0 counts as not set, as
    /// in Node).
    pub fn effective_port(&self) -> u16 {
        match self.port {
            Some(p) if p != 0 => p,
            _ => self.effective_default_port(),
        }
    }

    fn effective_default_port(&self) -> u16 {
        if self.default_port != 0 {
            self.default_port
        } else {
            HTTP_DEFAULT_PORT
        }
    }

    /// The first header named `name` (any case) that was given, if any.
    fn user_header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `Host` header value the request generates: `host[:port]`, the port left out when
    /// it is the default port, an IPv6 address in brackets (`[::1]:8080`).
    ///
    /// `None` when `set_host` is off or a `Host` header was given (any case; the request
    /// sends the given one as is). Node also replaces a given `Host` header whose value is
    /// empty; here any given `Host` header wins.
    ///
    /// ```
    /// use stdhttp::RequestOptions;
    ///
    /// let opts = RequestOptions::new().host("::1").port(8080);
    /// assert_eq!(opts.host_header().as_deref(), Some("[::1]:8080"));
    /// assert_eq!(RequestOptions::new().host_header().as_deref(), Some("localhost"));
    /// assert_eq!(RequestOptions::new().set_host(false).host_header(), None);
    /// ```
    pub fn host_header(&self) -> Option<String> {
        if !self.set_host || self.user_header("host").is_some() {
            return None;
        }
        let host = self.effective_host();
        let mut value = String::with_capacity(host.len() + 8);
        // Node brackets a host with two or more colons that is not bracketed already.
        if host.matches(':').nth(1).is_some() && !host.starts_with('[') {
            value.push('[');
            value.push_str(host);
            value.push(']');
        } else {
            value.push_str(host);
        }
        let port = self.effective_port();
        if port != self.effective_default_port() {
            // Writing to a String cannot fail.
            let _ = write!(value, ":{port}");
        }
        Some(value)
    }

    /// The `Authorization` header value the request generates from `auth`:
    /// `Basic <base64 of the UTF-8 bytes>`. `None` when `auth` is unset or empty, or an
    /// `Authorization` header was given (any case).
    ///
    /// ```
    /// use stdhttp::RequestOptions;
    ///
    /// let opts = RequestOptions::new().auth("u:p");
    /// assert_eq!(opts.authorization().as_deref(), Some("Basic dTpw"));
    /// assert_eq!(opts.header("Authorization", "Bearer t").authorization(), None);
    /// ```
    pub fn authorization(&self) -> Option<String> {
        let auth = non_empty(self.auth.as_deref())?;
        if self.user_header("authorization").is_some() {
            return None;
        }
        let mut value = String::from("Basic ");
        base64_encode_into(auth.as_bytes(), &mut value);
        Some(value)
    }

    /// Node's `agent.getName(options)` for these options **as given**:
    /// `<host or localhost>:<port or ''>:<localAddress or ''>`, then `:<family>` when family
    /// is 4 or 6, then `:<socketPath>` when set. Like Node's `getName`, it reads `host` (not
    /// `hostname`) and a port of 0 counts as unset.
    ///
    /// A request pools its socket under [`resolved_agent_name`](Self::resolved_agent_name),
    /// the name after host and port have been filled in.
    ///
    /// ```
    /// use stdhttp::RequestOptions;
    ///
    /// assert_eq!(RequestOptions::new().agent_name(), "localhost::");
    /// assert_eq!(RequestOptions::new().host("h").port(80).family(4).agent_name(), "h:80::4");
    /// ```
    pub fn agent_name(&self) -> String {
        let port = self.port.filter(|&p| p != 0);
        self.name_with(non_empty(self.host.as_deref()).unwrap_or("localhost"), port)
    }

    /// The agent name a request made from these options is pooled under: Node's `getName`
    /// after the request has set `host` to [`effective_host`](Self::effective_host) and
    /// `port` to [`effective_port`](Self::effective_port) (`{}` → `localhost:80:`).
    ///
    /// ```
    /// use stdhttp::RequestOptions;
    ///
    /// assert_eq!(RequestOptions::new().resolved_agent_name(), "localhost:80:");
    /// let opts = RequestOptions::new().hostname("::1").port(8080).family(6);
    /// assert_eq!(opts.resolved_agent_name(), "::1:8080::6");
    /// ```
    pub fn resolved_agent_name(&self) -> String {
        let mut name = self.name_with(self.effective_host(), Some(self.effective_port()));
        // a request's own connector pools apart: its streams (TLS...) are never handed to a
        // plain request to the same origin, nor plain ones to it
        if let Some(f) = &self.create_connection {
            let _ = write!(name, ":connector@{:p}", Arc::as_ptr(&f.0));
        }
        name
    }

    fn name_with(&self, host: &str, port: Option<u16>) -> String {
        let mut name = String::with_capacity(host.len() + 16);
        name.push_str(host);
        name.push(':');
        if let Some(port) = port {
            let _ = write!(name, "{port}");
        }
        name.push(':');
        if let Some(local) = self.local_address.as_deref() {
            name.push_str(local);
        }
        if let Some(family @ (4 | 6)) = self.family {
            let _ = write!(name, ":{family}");
        }
        if let Some(path) = self.socket_path.as_deref() {
            if !path.as_os_str().is_empty() {
                name.push(':');
                name.push_str(&path.to_string_lossy());
            }
        }
        name
    }

    /// Checks the options as Node's `http.request` does before sending anything, in Node's
    /// order:
    ///
    /// - the path: a char outside `U+0021`–`U+00FF` gives `ERR_UNESCAPED_CHARACTERS`
    ///   (`Request path contains unescaped characters`);
    /// - the method: not a token gives `ERR_INVALID_HTTP_TOKEN`
    ///   (`Method must be a valid HTTP token ["<method as given>"]`);
    /// - each header: a name that is not a token gives `ERR_INVALID_HTTP_TOKEN`, a value with
    ///   CR, LF or another invalid char gives `ERR_INVALID_CHAR`.
    ///
    /// ```
    /// use stdhttp::RequestOptions;
    ///
    /// assert!(RequestOptions::new().path("/caf\u{e9}").validate().is_ok());
    /// let err = RequestOptions::new().path("/a b").validate().unwrap_err();
    /// assert_eq!(err.code(), "ERR_UNESCAPED_CHARACTERS");
    /// let err = RequestOptions::new().method("bad method").validate().unwrap_err();
    /// assert_eq!(err.message(), r#"Method must be a valid HTTP token ["bad method"]"#);
    /// ```
    pub fn validate(&self) -> Result<(), Error> {
        validate_path(&self.path)?;
        validate_method(&self.method_given)?;
        for (name, value) in &self.headers {
            validate_header_name(name)?;
            validate_header_value(name, value)?;
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // URLs

    /// Options from an `http:` URL, as Node's `http.request(url)` makes them (WHATWG URL
    /// parsing, then `urlToHttpOptions`):
    ///
    /// - `hostname`: the URL's host, lower-cased, IPv4 forms normalised (`127.1` →
    ///   `127.0.0.1`), IPv6 without brackets and compressed (`[0:0::1]` → `::1`);
    /// - `port`: the explicit port, unless it is 80 (then unset);
    /// - `path`: the path and query, percent-encoded where needed (`/a b` → `/a%20b`), dot
    ///   segments resolved, the fragment dropped, `/` when empty;
    /// - `auth`: `user:password`, percent-decoded (`u%20ser:pw` → `u ser:pw`), when the URL
    ///   has a user name or password.
    ///
    /// This is Rust's `TryFrom<&str>` where the API map says `From<&str>`: parsing can fail.
    ///
    /// Errors:
    /// - a valid URL with another scheme: `ERR_INVALID_PROTOCOL`,
    ///   `Protocol "https:" not supported. Expected "http:"`;
    /// - no scheme, an empty or invalid host, a port above 65535 or with a non-digit:
    ///   `ERR_INVALID_URL`, `Invalid URL`;
    /// - a user name or password with a broken percent-escape (`%zz`, or bytes that are not
    ///   UTF-8): `ERR_INVALID_URL`, `URI malformed` (Node throws a code-less `URIError` there).
    ///
    /// Limits: non-ASCII host names are lower-cased and Punycode-encoded, which matches
    /// Node's IDNA processing for ordinary names but not UTS #46's full mapping and
    /// normalisation. URLs of schemes other than `http`, `https`, `ws`, `wss` and `ftp` are
    /// not checked further before `ERR_INVALID_PROTOCOL`.
    ///
    /// ```
    /// use stdhttp::RequestOptions;
    ///
    /// let opts = RequestOptions::from_url("http://localhost:8080/x?y=1#top").unwrap();
    /// assert_eq!(opts.get_hostname(), Some("localhost"));
    /// assert_eq!(opts.get_port(), Some(8080));
    /// assert_eq!(opts.get_path(), "/x?y=1");
    ///
    /// let err = RequestOptions::from_url("https://localhost/").unwrap_err();
    /// assert_eq!(err.code(), "ERR_INVALID_PROTOCOL");
    /// assert_eq!(err.message(), r#"Protocol "https:" not supported. Expected "http:""#);
    /// assert_eq!(RequestOptions::from_url("localhost/x").unwrap_err().code(), "ERR_INVALID_URL");
    /// ```
    pub fn from_url(url: &str) -> Result<RequestOptions, Error> {
        let parts = parse_url(url)?;
        let mut opts = RequestOptions::new()
            .hostname(parts.hostname)
            .path(parts.path);
        opts.port = parts.port;
        opts.auth = parts.auth;
        Ok(opts)
    }
}

impl TryFrom<&str> for RequestOptions {
    type Error = Error;

    /// Same as [`RequestOptions::from_url`].
    fn try_from(url: &str) -> Result<Self, Error> {
        RequestOptions::from_url(url)
    }
}

impl FromStr for RequestOptions {
    type Err = Error;

    /// Same as [`RequestOptions::from_url`].
    fn from_str(url: &str) -> Result<Self, Error> {
        RequestOptions::from_url(url)
    }
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}

// ---------------------------------------------------------------------------------------------
// Base64 (RFC 4648, with padding)

const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode_into(input: &[u8], out: &mut String) {
    out.reserve(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextet = |shift: u32| char::from(BASE64_ALPHABET[((n >> shift) & 0x3f) as usize]);
        out.push(sextet(18));
        out.push(sextet(12));
        out.push(if chunk.len() > 1 { sextet(6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(0) } else { '=' });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // -- builder and defaults ------------------------------------------------------------------

    #[test]
    fn defaults_are_nodes() {
        let o = RequestOptions::new();
        assert_eq!(o.get_method(), "GET");
        assert_eq!(o.get_path(), "/");
        assert_eq!(o.effective_host(), "localhost");
        assert_eq!(o.effective_port(), 80);
        assert_eq!(o.get_default_port(), 80);
        assert!(o.get_set_host());
        assert_eq!(o.get_agent(), &AgentChoice::Global);
        assert_eq!(o.get_timeout(), None);
        assert_eq!(o.get_max_header_size(), None);
        assert!(o.get_headers().is_empty());
        assert_eq!(o.get_auth(), None);
        assert_eq!(o.get_family(), None);
        assert_eq!(o.get_port(), None);
        assert_eq!(o.get_local_address(), None);
        assert_eq!(o.get_socket_path(), None);
    }

    #[test]
    fn builder_sets_every_option() {
        let o = RequestOptions::new()
            .host("h")
            .hostname("hn")
            .family(6)
            .port(8080)
            .local_address("10.0.0.1")
            .socket_path("/tmp/s")
            .method("put")
            .path("/p")
            .header("X-A", "1")
            .headers([("X-B", "2"), ("x-a", "3")])
            .auth("u:p")
            .agent(AgentChoice::Unpooled)
            .timeout(250)
            .set_host(false)
            .default_port(8000)
            .max_header_size(1024);
        assert_eq!(o.get_host(), Some("h"));
        assert_eq!(o.get_hostname(), Some("hn"));
        assert_eq!(o.get_family(), Some(6));
        assert_eq!(o.get_port(), Some(8080));
        assert_eq!(o.get_local_address(), Some("10.0.0.1"));
        assert_eq!(o.get_socket_path(), Some(Path::new("/tmp/s")));
        assert_eq!(o.get_method(), "PUT");
        assert_eq!(o.get_path(), "/p");
        let h: Vec<(&str, &str)> = o
            .get_headers()
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(h, [("X-A", "1"), ("X-B", "2"), ("x-a", "3")]);
        assert_eq!(o.get_auth(), Some("u:p"));
        assert_eq!(o.get_agent(), &AgentChoice::Unpooled);
        assert_eq!(o.get_timeout(), Some(250));
        assert!(!o.get_set_host());
        assert_eq!(o.get_default_port(), 8000);
        assert_eq!(o.get_max_header_size(), Some(1024));
    }

    #[test]
    fn method_is_upper_cased_and_empty_means_get() {
        assert_eq!(RequestOptions::new().method("get").get_method(), "GET");
        assert_eq!(
            RequestOptions::new().method("pRoPfInD").get_method(),
            "PROPFIND"
        );
        assert_eq!(RequestOptions::new().method("FOO").get_method(), "FOO");
        assert_eq!(RequestOptions::new().method("").get_method(), "GET");
    }

    #[test]
    fn empty_path_means_slash() {
        assert_eq!(RequestOptions::new().path("").get_path(), "/");
    }

    // -- effective host and port ---------------------------------------------------------------

    #[test]
    fn hostname_wins_over_host_and_empty_counts_as_unset() {
        assert_eq!(RequestOptions::new().hostname("x").effective_host(), "x");
        let o = RequestOptions::new().hostname("x").host("y");
        assert_eq!(o.effective_host(), "x");
        let o = RequestOptions::new().hostname("").host("y");
        assert_eq!(o.effective_host(), "y");
        assert_eq!(RequestOptions::new().host("").effective_host(), "localhost");
    }

    #[test]
    fn port_zero_and_default_port_zero_fall_back() {
        assert_eq!(RequestOptions::new().port(0).effective_port(), 80);
        assert_eq!(
            RequestOptions::new().default_port(8080).effective_port(),
            8080
        );
        let o = RequestOptions::new().default_port(8080).port(0);
        assert_eq!(o.effective_port(), 8080);
        assert_eq!(RequestOptions::new().default_port(0).effective_port(), 80);
        assert_eq!(RequestOptions::new().port(81).effective_port(), 81);
    }

    // -- Host header (expectations from Node 20.20.2) ------------------------------------------

    fn host_of(o: RequestOptions) -> Option<String> {
        o.host_header()
    }

    #[test]
    fn host_header_omits_the_default_port() {
        let o = RequestOptions::new();
        assert_eq!(host_of(o.clone()).as_deref(), Some("localhost"));
        assert_eq!(host_of(o.clone().host("h").port(80)).as_deref(), Some("h"));
        assert_eq!(
            host_of(o.clone().host("h").port(8080)).as_deref(),
            Some("h:8080")
        );
        let custom = o.clone().host("h").default_port(8080);
        assert_eq!(host_of(custom.clone().port(8080)).as_deref(), Some("h"));
        assert_eq!(host_of(custom.clone().port(80)).as_deref(), Some("h:80"));
        assert_eq!(host_of(custom).as_deref(), Some("h"));
    }

    #[test]
    fn host_header_brackets_ipv6() {
        let o = RequestOptions::new();
        assert_eq!(
            host_of(o.clone().host("::1").port(8080)).as_deref(),
            Some("[::1]:8080")
        );
        assert_eq!(host_of(o.clone().host("::1")).as_deref(), Some("[::1]"));
        assert_eq!(
            host_of(o.clone().host("[::1]").port(8080)).as_deref(),
            Some("[::1]:8080")
        );
        // One colon is not an IPv6 address for Node.
        assert_eq!(host_of(o.host("a:b").port(81)).as_deref(), Some("a:b:81"));
    }

    #[test]
    fn host_header_uses_hostname_and_ignores_socket_path() {
        let o = RequestOptions::new().hostname("x").host("y");
        assert_eq!(host_of(o).as_deref(), Some("x"));
        let o = RequestOptions::new().socket_path("/tmp/s");
        assert_eq!(host_of(o).as_deref(), Some("localhost"));
        let o = RequestOptions::new()
            .socket_path("/tmp/s")
            .host("h")
            .port(99);
        assert_eq!(host_of(o).as_deref(), Some("h:99"));
    }

    #[test]
    fn no_host_header_when_set_host_is_off_or_one_is_given() {
        assert_eq!(
            host_of(RequestOptions::new().host("h").set_host(false)),
            None
        );
        assert_eq!(
            host_of(RequestOptions::new().header("hOST", "custom")),
            None
        );
        assert_eq!(host_of(RequestOptions::new().header("Host", "q")), None);
    }

    // -- Authorization -------------------------------------------------------------------------

    #[test]
    fn auth_becomes_basic_authorization() {
        let auth = |a: &str| RequestOptions::new().auth(a).authorization();
        assert_eq!(auth("u:p").as_deref(), Some("Basic dTpw"));
        assert_eq!(auth("a:b").as_deref(), Some("Basic YTpi"));
        assert_eq!(auth("user:pw").as_deref(), Some("Basic dXNlcjpwdw=="));
        // UTF-8 bytes, as Node's Buffer.from(string).
        assert_eq!(auth("ü").as_deref(), Some("Basic w7w="));
        assert_eq!(auth(""), None);
        assert_eq!(RequestOptions::new().authorization(), None);
    }

    #[test]
    fn a_given_authorization_header_wins_over_auth() {
        let o = RequestOptions::new()
            .auth("u:p")
            .header("authorization", "X");
        assert_eq!(o.authorization(), None);
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let enc = |s: &str| {
            let mut out = String::new();
            base64_encode_into(s.as_bytes(), &mut out);
            out
        };
        assert_eq!(enc(""), "");
        assert_eq!(enc("f"), "Zg==");
        assert_eq!(enc("fo"), "Zm8=");
        assert_eq!(enc("foo"), "Zm9v");
        assert_eq!(enc("foob"), "Zm9vYg==");
        assert_eq!(enc("fooba"), "Zm9vYmE=");
        assert_eq!(enc("foobar"), "Zm9vYmFy");
        let mut out = String::new();
        base64_encode_into(&[0xfb, 0xff, 0xbf], &mut out);
        assert_eq!(out, "+/+/");
    }

    // -- agent names (NODE-SEMANTICS §5.1, checked with Node 20.20.2) --------------------------

    #[test]
    fn agent_name_matches_every_getname_example() {
        let n = |o: RequestOptions| o.agent_name();
        let h80 = || RequestOptions::new().host("h").port(80);
        assert_eq!(n(RequestOptions::new()), "localhost::");
        assert_eq!(n(h80()), "h:80:");
        assert_eq!(n(h80().local_address("10.0.0.1")), "h:80:10.0.0.1");
        assert_eq!(n(h80().family(4)), "h:80::4");
        assert_eq!(n(h80().family(6).local_address("l")), "h:80:l:6");
        assert_eq!(n(RequestOptions::new().host("h").family(5)), "h::");
        assert_eq!(
            n(RequestOptions::new().socket_path("/tmp/s")),
            "localhost:::/tmp/s"
        );
    }

    #[test]
    fn agent_name_reads_host_not_hostname() {
        assert_eq!(
            RequestOptions::new().hostname("x").agent_name(),
            "localhost::"
        );
        assert_eq!(
            RequestOptions::new().hostname("x").host("y").agent_name(),
            "y::"
        );
        assert_eq!(RequestOptions::new().port(0).agent_name(), "localhost::");
        let o = RequestOptions::new()
            .socket_path("/tmp/s")
            .host("h")
            .port(99);
        assert_eq!(o.agent_name(), "h:99::/tmp/s");
        assert_eq!(
            RequestOptions::new().host("[::1]").port(8080).agent_name(),
            "[::1]:8080:"
        );
    }

    #[test]
    fn resolved_agent_name_is_what_a_request_pools_under() {
        let n = |o: RequestOptions| o.resolved_agent_name();
        assert_eq!(n(RequestOptions::new()), "localhost:80:");
        assert_eq!(n(RequestOptions::new().host("h").family(5)), "h:80:");
        assert_eq!(
            n(RequestOptions::new().socket_path("/tmp/s")),
            "localhost:80::/tmp/s"
        );
        assert_eq!(n(RequestOptions::new().hostname("x").host("y")), "x:80:");
        assert_eq!(
            n(RequestOptions::new().host("h").default_port(8080)),
            "h:8080:"
        );
        assert_eq!(n(RequestOptions::new().host("::1")), "::1:80:");
        assert_eq!(n(RequestOptions::new().host("h").family(6)), "h:80::6");
        assert_eq!(
            n(RequestOptions::new().host("h").local_address("")),
            "h:80:"
        );
    }

    // -- validation ----------------------------------------------------------------------------

    #[test]
    fn unescaped_path_is_rejected() {
        for path in ["/a b", "/a\tb", "/\u{100}", "/\u{1}", "/€"] {
            let err = RequestOptions::new().path(path).validate().unwrap_err();
            assert_eq!(err.code(), "ERR_UNESCAPED_CHARACTERS", "{path:?}");
            assert_eq!(err.message(), "Request path contains unescaped characters");
        }
        for path in ["/", "/\u{7f}\u{ff}", "/caf\u{e9}?q=1", "*"] {
            assert!(
                RequestOptions::new().path(path).validate().is_ok(),
                "{path:?}"
            );
        }
    }

    #[test]
    fn invalid_method_is_reported_as_given() {
        let err = RequestOptions::new()
            .method("bad method")
            .validate()
            .unwrap_err();
        assert_eq!(err.code(), "ERR_INVALID_HTTP_TOKEN");
        assert_eq!(
            err.message(),
            r#"Method must be a valid HTTP token ["bad method"]"#
        );
        // Unicode upper-casing would turn ß into SS, a token; Node checks before upper-casing.
        let err = RequestOptions::new().method("ßx").validate().unwrap_err();
        assert_eq!(err.message(), r#"Method must be a valid HTTP token ["ßx"]"#);
    }

    #[test]
    fn path_is_checked_before_method() {
        let o = RequestOptions::new().path("/a b").method("BAD M");
        assert_eq!(o.validate().unwrap_err().code(), "ERR_UNESCAPED_CHARACTERS");
    }

    #[test]
    fn invalid_headers_are_rejected() {
        let o = RequestOptions::new().header("Bad Name", "v");
        assert_eq!(o.validate().unwrap_err().code(), "ERR_INVALID_HTTP_TOKEN");
        let o = RequestOptions::new().header("X-A", "a\r\nX-B: 1");
        assert_eq!(o.validate().unwrap_err().code(), "ERR_INVALID_CHAR");
        assert!(RequestOptions::new().header("X-A", "ok").validate().is_ok());
    }

    // -- URLs ----------------------------------------------------------------------------------

    // (input, hostname, port, path, auth) — each checked with Node 20.20.2:
    // `http.request(url)` with a stub agent, reading `options.hostname/port/path/auth` as
    // `urlToHttpOptions(new URL(url))` gives them and the request's `path`.
    type UrlCase = (
        &'static str,
        &'static str,
        Option<u16>,
        &'static str,
        Option<&'static str>,
    );

    const NODE_URL_CASES: &[UrlCase] = &[
        (
            "http://user:pw@host:8080/path?q#frag",
            "host",
            Some(8080),
            "/path?q",
            Some("user:pw"),
        ),
        (
            "http://u%20ser:pw@127.0.0.1:8080/u?q=1#frag",
            "127.0.0.1",
            Some(8080),
            "/u?q=1",
            Some("u ser:pw"),
        ),
        ("http://[::1]:8080/", "::1", Some(8080), "/", None),
        ("http://[0:0:0:0:0:0:0:1]/", "::1", None, "/", None),
        (
            "http://[::ffff:1.2.3.4]/",
            "::ffff:102:304",
            None,
            "/",
            None,
        ),
        ("http://[::1.2.3.4]/", "::102:304", None, "/", None),
        ("http://[1:0:0:2:0:0:0:3]/", "1:0:0:2::3", None, "/", None),
        ("http://[1::1:0:0:0]/", "1::1:0:0:0", None, "/", None),
        (
            "http://[0:0:1:0:0:1:0:0]/",
            "::1:0:0:1:0:0",
            None,
            "/",
            None,
        ),
        (
            "http://[1:2:3:4:5:6:7:8]/",
            "1:2:3:4:5:6:7:8",
            None,
            "/",
            None,
        ),
        ("http://[::]/", "::", None, "/", None),
        ("http://[::1]:/", "::1", None, "/", None),
        ("http://[::1]:80/", "::1", None, "/", None),
        ("http:///x", "x", None, "/", None),
        ("HTTP://EXAMPLE.com:80/A", "example.com", None, "/A", None),
        ("HtTp://h/", "h", None, "/", None),
        ("http://h:0080", "h", None, "/", None),
        ("http://h:/x", "h", None, "/x", None),
        ("http://h:0/x", "h", Some(0), "/x", None),
        ("http://h:65535/", "h", Some(65535), "/", None),
        ("http://h", "h", None, "/", None),
        ("http://user@h/", "h", None, "/", Some("user:")),
        ("http://:pw@h/", "h", None, "/", Some(":pw")),
        ("http://@h/", "h", None, "/", None),
        ("http://:@h/", "h", None, "/", None),
        ("http://u:p:q@h/", "h", None, "/", Some("u:p:q")),
        ("http://a@b@h/", "h", None, "/", Some("a@b:")),
        ("http://user:p%40ss@h/", "h", None, "/", Some("user:p@ss")),
        ("http://us er:pw@h/", "h", None, "/", Some("us er:pw")),
        (
            "http://\u{fc}:\u{f6}@h/",
            "h",
            None,
            "/",
            Some("\u{fc}:\u{f6}"),
        ),
        ("http://u%C3%A9@h/", "h", None, "/", Some("u\u{e9}:")),
        ("http://h/a b?c d#e f", "h", None, "/a%20b?c%20d", None),
        ("http://h/a/../b/./c", "h", None, "/b/c", None),
        ("http://h/a/..", "h", None, "/", None),
        ("http://h/a/.", "h", None, "/a/", None),
        ("http://h/a/%2e%2E", "h", None, "/", None),
        ("http://h/%2e%2E/x", "h", None, "/x", None),
        ("http://h/a/b/..?x", "h", None, "/a/?x", None),
        ("http://h\\\\a\\\\b", "h", None, "//a//b", None),
        ("http:\\\\h\\x", "h", None, "/x", None),
        ("http:h/x", "h", None, "/x", None),
        ("  http://h/x  ", "h", None, "/x", None),
        ("http://h/a\tb", "h", None, "/ab", None),
        ("http://h/\u{e9}?\u{e9}", "h", None, "/%C3%A9?%C3%A9", None),
        ("http://h?x", "h", None, "/?x", None),
        ("http://h#x", "h", None, "/", None),
        ("http://h/?", "h", None, "/", None),
        ("http://h/a?b#c?d", "h", None, "/a?b", None),
        ("http://h/%41", "h", None, "/%41", None),
        ("http://h/%zz", "h", None, "/%zz", None),
        ("http://h/\"<>`{}", "h", None, "/%22%3C%3E%60%7B%7D", None),
        ("http://h/?'\"<>`{}", "h", None, "/?%27%22%3C%3E`{}", None),
        ("http://127.1/", "127.0.0.1", None, "/", None),
        ("http://0x7f.1/", "127.0.0.1", None, "/", None),
        ("http://2130706433/", "127.0.0.1", None, "/", None),
        ("http://1.2.3/", "1.2.0.3", None, "/", None),
        ("http://0300.0250.1.1/", "192.168.1.1", None, "/", None),
        ("http://1.2.3.4./", "1.2.3.4", None, "/", None),
        ("http://0x/", "0.0.0.0", None, "/", None),
        ("http://h%41/", "ha", None, "/", None),
        ("http://exa_mple/", "exa_mple", None, "/", None),
        ("http://a{b}/", "a{b}", None, "/", None),
        ("http://a*b/", "a*b", None, "/", None),
        ("http://h./", "h.", None, "/", None),
        ("http://.", ".", None, "/", None),
        ("http://h\u{e9}llo/", "xn--hllo-bpa", None, "/", None),
        ("http://h%C3%A9/", "xn--h-bga", None, "/", None),
        ("http://\u{c9}XAMPLE/", "xn--xample-9ua", None, "/", None),
        (
            "http://b\u{fc}cher.example/",
            "xn--bcher-kva.example",
            None,
            "/",
            None,
        ),
        ("http://m\u{fc}nchen/", "xn--mnchen-3ya", None, "/", None),
    ];

    #[test]
    fn urls_parse_as_in_node() {
        for &(url, hostname, port, path, auth) in NODE_URL_CASES {
            let o = RequestOptions::from_url(url).unwrap_or_else(|e| panic!("{url:?}: {e}"));
            assert_eq!(o.get_hostname(), Some(hostname), "{url:?}");
            assert_eq!(o.get_port(), port, "{url:?}");
            assert_eq!(o.get_path(), path, "{url:?}");
            assert_eq!(o.get_auth(), auth, "{url:?}");
            assert_eq!(o.get_host(), None, "{url:?}");
            assert_eq!(o.get_method(), "GET", "{url:?}");
        }
    }

    /// Host headers and agent names Node 20.20.2 produced for URLs.
    #[test]
    fn url_host_headers_and_names_match_node() {
        let cases = [
            ("http://user:pw@host:8080/path", "host:8080", "host:8080:"),
            ("http://[::1]:8080/", "[::1]:8080", "::1:8080:"),
            ("http://[0:0:0:0:0:0:0:1]/", "[::1]", "::1:80:"),
            ("http://h:0/x", "h", "h:80:"),
            ("HTTP://EXAMPLE.com:80/A", "example.com", "example.com:80:"),
            ("http://[::]/", "[::]", ":::80:"),
        ];
        for (url, host, name) in cases {
            let o = RequestOptions::from_url(url).unwrap();
            assert_eq!(o.host_header().as_deref(), Some(host), "{url:?}");
            assert_eq!(o.resolved_agent_name(), name, "{url:?}");
        }
        let o = RequestOptions::from_url("http://u%20ser:pw@127.0.0.1:8080/u?q=1#frag").unwrap();
        assert_eq!(o.authorization().as_deref(), Some("Basic dSBzZXI6cHc="));
    }

    #[test]
    fn invalid_urls_are_rejected_as_in_node() {
        let invalid = [
            "http://h:70000/",
            "http://h:65536/",
            "http://h:8o/",
            "http://h:1e2/",
            "http://h:+80/",
            "http://",
            "http:///",
            "http://u@/",
            "http://:80/",
            "example.com/x",
            "/just/a/path",
            "",
            "http://a b/",
            "http://h^/",
            "http://%7f/",
            "http://h%2f/",
            "http://[::1/",
            "http://[::1]x/",
            "http://[v1.x]/",
            "http://[::1%25eth0]/",
            "http://256.1.1.1.1/",
            "http://1.2.3.256/",
            "http://1.2.3.4.5/",
            "http://4294967296/",
            "http://0x100000000/",
            "http://1.2.3.09/",
            "http://08/",
            "http://foo.09/",
            "http://h.0x/",
            "http://a.b.c.1/",
            "https://",
        ];
        for url in invalid {
            let err = RequestOptions::from_url(url).unwrap_err();
            assert_eq!(err.code(), "ERR_INVALID_URL", "{url:?}");
            assert_eq!(err.message(), "Invalid URL", "{url:?}");
        }
    }

    #[test]
    fn other_protocols_are_rejected_as_in_node() {
        for (url, scheme) in [
            ("https://x/", "https"),
            ("ftp://x/", "ftp"),
            ("foo://bar", "foo"),
            ("file:///tmp", "file"),
            ("localhost:8080", "localhost"),
            ("WS://x/", "ws"),
        ] {
            let err = RequestOptions::from_url(url).unwrap_err();
            assert_eq!(err.code(), "ERR_INVALID_PROTOCOL", "{url:?}");
            assert_eq!(
                err.message(),
                format!("Protocol \"{scheme}:\" not supported. Expected \"http:\""),
                "{url:?}"
            );
        }
    }

    #[test]
    fn malformed_userinfo_escapes_fail_like_decode_uri_component() {
        for url in [
            "http://%zz@h/",
            "http://u%ff@h/",
            "http://u:%@h/",
            "http://%C3@h/",
        ] {
            let err = RequestOptions::from_url(url).unwrap_err();
            assert_eq!(err.code(), "ERR_INVALID_URL", "{url:?}");
            assert_eq!(err.message(), "URI malformed", "{url:?}");
        }
    }

    #[test]
    fn try_from_and_parse_are_from_url() {
        let a = RequestOptions::try_from("http://h:81/x").unwrap();
        let b: RequestOptions = "http://h:81/x".parse().unwrap();
        for o in [a, b] {
            assert_eq!(o.get_hostname(), Some("h"));
            assert_eq!(o.get_port(), Some(81));
            assert_eq!(o.get_path(), "/x");
        }
        assert!(RequestOptions::try_from("https://h/").is_err());
    }

    #[test]
    fn url_options_can_be_overridden() {
        let o = RequestOptions::from_url("http://h:81/x")
            .unwrap()
            .method("post")
            .path("/y")
            .port(82);
        assert_eq!(o.get_method(), "POST");
        assert_eq!(o.get_path(), "/y");
        assert_eq!(o.host_header().as_deref(), Some("h:82"));
    }
}
