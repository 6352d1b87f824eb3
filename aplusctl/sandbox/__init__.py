"""Local emulators of SP-API (A+ Content, Uploads, S3 POST, LWA) and Pixii."""
