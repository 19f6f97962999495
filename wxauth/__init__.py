"""wxauth: login, phone binding and profiles for WeChat mini-programs, plus an operator dashboard."""
