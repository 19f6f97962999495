"""The only code that talks to WeChat: HTTP client, access_token cache, crypto, error map."""
