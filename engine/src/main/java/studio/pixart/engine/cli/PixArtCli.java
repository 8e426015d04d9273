package studio.pixart.engine.cli;

public class PixArtCli {
    public static void main(String[] args) { System.out.println("pixart"); }
}
