package mask

// Names for the name masks: common given names and family names from many
// countries, in ASCII (so a name's length in bytes is its length in
// characters).

var firstNames = [...]string{
	"Aaliyah", "Aaron", "Abdul", "Abigail", "Ada", "Adebayo", "Aditi", "Adrian", "Adriana",
	"Agnes", "Ahmed", "Aiko", "Aisha", "Akira", "Akosua", "Alan", "Alba", "Alejandro",
	"Aleksander", "Alessandro", "Alexei", "Alice", "Alina", "Amara", "Amelia", "Amina", "Amir",
	"Ana", "Anders", "Andrea", "Andrei", "Aneesh", "Angela", "Anika", "Anita", "Anjali", "Ansel",
	"Antonio", "Anya", "Aoife", "Arjun", "Arnav", "Astrid", "Aurora", "Ayaan", "Ayesha", "Aylin",
	"Beatriz", "Bella", "Ben", "Bianca", "Bjorn", "Bogdan", "Bruno", "Camila", "Carlos", "Carmen",
	"Catalina", "Cecile", "Chen", "Chiara", "Chidi", "Chinedu", "Chioma", "Chloe", "Clara",
	"Connor", "Dagny", "Daisuke", "Dalia", "Daniel", "Dario", "David", "Deepa", "Diego", "Dina",
	"Dmitri", "Dorothy", "Elena", "Elif", "Elijah", "Elsa", "Emeka", "Emil", "Emily", "Emma",
	"Enzo", "Erik", "Esther", "Ethan", "Eva", "Farah", "Fatima", "Felix", "Fernanda", "Finn",
	"Fiona", "Freya", "Gabriel", "Giulia", "Grace", "Gustavo", "Hana", "Hannah", "Harriet",
	"Haruto", "Hassan", "Helena", "Hiroshi", "Hugo", "Ibrahim", "Ida", "Ifeoma", "Imani", "Ines",
	"Ingrid", "Isabel", "Ivan", "Jamal", "Jana", "Javier", "Jin", "Joao", "Johan", "Jonas",
	"Jorge", "Josefine", "Julia", "Kai", "Kamala", "Karim", "Kateryna", "Keanu", "Kenji", "Kofi",
	"Kwame", "Lars", "Layla", "Leila", "Leilani", "Lena", "Leon", "Liam", "Lin", "Lina", "Lucas",
	"Lucia", "Luis", "Maja", "Malik", "Mara", "Marco", "Maria", "Mariam", "Mateo", "Mateus",
	"Mei", "Mia", "Mikael", "Milan", "Min", "Mira", "Mohammed", "Nadia", "Naomi", "Nia", "Nikhil",
	"Nina", "Noah", "Nomvula", "Noor", "Nora", "Olga", "Oliver", "Oluwaseun", "Omar", "Oscar",
	"Pablo", "Paula", "Pedro", "Pia", "Priya", "Rafael", "Rahul", "Rania", "Ravi", "Renata",
	"Rosa", "Ruth", "Sakura", "Samir", "Sana", "Sara", "Sebastian", "Selin", "Sergei", "Shira",
	"Sione", "Sofia", "Soren", "Sven", "Tariq", "Tatiana", "Thandiwe", "Theo", "Tomas", "Tomasz",
	"Valentina", "Vera", "Victor", "Vikram", "Wanjiru", "Wei", "Xavier", "Yara", "Yasmin",
	"Yosef", "Yuki", "Yusuf", "Zainab", "Zara", "Zeynep", "Zoe", "Zoran",
}

var lastNames = [...]string{
	"Abara", "Abubakar", "Adeyemi", "Afolabi", "Agarwal", "Ahmed", "Akhtar", "Alvarez",
	"Andersen", "Andersson", "Antonelli", "Aoki", "Arslan", "Bakker", "Banerjee", "Baptiste",
	"Barros", "Becker", "Bell", "Benedetti", "Bergstrom", "Bianchi", "Boateng", "Bondarenko",
	"Brown", "Campbell", "Cardoso", "Castillo", "Chatterjee", "Chen", "Cho", "Chowdhury", "Costa",
	"Cruz", "Dahl", "Das", "Davies", "Delgado", "Diallo", "Dias", "Dlamini", "Dubois", "Eriksen",
	"Esposito", "Evans", "Eze", "Farouk", "Fernandes", "Ferrari", "Fischer", "Flores", "Fontaine",
	"Fujita", "Gallagher", "Gallo", "Garcia", "Gomez", "Gonzalez", "Greco", "Gupta", "Haddad",
	"Hakimi", "Hansen", "Hashemi", "Hayashi", "Hernandez", "Hoffmann", "Horvat", "Hughes",
	"Ibrahim", "Ito", "Ivanova", "Iyer", "Jablonski", "Jansen", "Jensen", "Johansson",
	"Jovanovic", "Kang", "Kapoor", "Karimi", "Kato", "Kaya", "Keller", "Khan", "Kim", "Kiplagat",
	"Klein", "Kobayashi", "Koh", "Kovacs", "Kowalski", "Kumar", "Kuznetsov", "Larsen", "Laurent",
	"Lee", "Lehmann", "Leone", "Li", "Lim", "Lindqvist", "Liu", "Lopez", "Lucas", "Mahlangu",
	"Malik", "Marchetti", "Martin", "Martinez", "Mendes", "Mensah", "Meyer", "Morales", "Moreau",
	"Moreno", "Moyo", "Murphy", "Murray", "Mwangi", "Nair", "Nakamura", "Nascimento", "Ndlovu",
	"Nguyen", "Nielsen", "Novak", "Nowak", "Nunez", "Obi", "Okafor", "Okeke", "Okonkwo",
	"Oliveira", "Olsen", "Ortiz", "Osei", "Ozturk", "Park", "Patel", "Pereira", "Perez", "Petrov",
	"Pham", "Popescu", "Quispe", "Rahman", "Ramirez", "Rao", "Reddy", "Reyes", "Ricci", "Rivera",
	"Rodrigues", "Romano", "Rossi", "Russo", "Saito", "Salazar", "Sanchez", "Sandoval", "Santos",
	"Sato", "Schmidt", "Schneider", "Schulz", "Sharma", "Silva", "Singh", "Smirnova", "Sokolov",
	"Sorensen", "Suzuki", "Svensson", "Takahashi", "Tan", "Tanaka", "Taylor", "Tembo", "Thomas",
	"Torres", "Tran", "Tshabalala", "Varga", "Vargas", "Vasquez", "Vogel", "Volkov", "Wagner",
	"Walker", "Wang", "Watanabe", "Weber", "Williams", "Wilson", "Wojcik", "Wong", "Wu", "Xu",
	"Yadav", "Yamamoto", "Yang", "Yilmaz", "Yoshida", "Young", "Yusuf", "Zhang", "Zhao", "Zhou",
	"Zimmermann", "Zulu",
}
