// Where your wxauth server runs, and where the page uploads a chosen avatar (field "file",
// answering {"url": ...}; wxauth stores the URL, it does not host images).
export const WXAUTH_URL = 'https://auth.example.com'
export const AVATAR_UPLOAD_URL = 'https://auth.example.com/your-upload-endpoint'
