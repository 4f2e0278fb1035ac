from cryptofolio.cli import main

main()
