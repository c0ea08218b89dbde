// Your provider and the client registered there for this extension (see README.md).
const config = {
  issuer: 'https://login.example.com',
  clientId: 'my-extension',
};
